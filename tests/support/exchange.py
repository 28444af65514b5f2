"""Test support: valid files of every format (from :mod:`kokin.formats.examples`), and files in a
business's mailboxes in a given state. ``DEBIT_HEADER`` is the examples' debit header with the demo
ward's 税務課 委託者コード (a request for 住民税 口座振替); ``payer`` is the examples' payer.

:data:`support.endpoints.SAMPLES` names :func:`sample_file`, :func:`pending_file` and
:func:`sample_certificate`, so the role × endpoint test can call the pages of one file. Never used by
the hub itself.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone

from kokin.accounts.actors import BANK_ROLE, user_actor
from kokin.accounts.models import Business, DataKind, Role, User
from kokin.audit.actor import COMMAND_ROLE, Actor
from kokin.demo.ward import CONSIGNOR_CODES
from kokin.exchange import services
from kokin.exchange.models import DEFAULT_LEAD_BUSINESS_DAYS, ExchangeFile
from kokin.formats import FORMATS, bankdays, examples
from kokin.formats.examples import batch, payer
from kokin.formats.kinds import zengin_debit

DEBIT_HEADER: dict[str, Any] = {**examples.DEBIT_HEADER, "consignor_code": CONSIGNOR_CODES["zeimu-furikae"]}

#: who places files and erases them in these tests: a command run by ``os:test``
TEST_ACTOR = Actor(name="os:test", role=COMMAND_ROLE)
#: the bank's system account of these tests, as the bank link writes it
BANK_AGENT = Actor(name="bank-agent", role=BANK_ROLE)


def operator(username: str) -> Actor:
    """The demo operator ``username`` as the pages would pass them to a service."""
    return user_actor(User.objects.get(username=username))


def debit_day(lead: int = DEFAULT_LEAD_BUSINESS_DAYS + 2, *, today: dt.date | None = None) -> dt.date:
    """A bank business day ``lead`` business days after today (a debit date the hub accepts)."""
    return bankdays.add_business_days(today or timezone.localdate(), lead)


def debit_file(
    records: int = 3,
    *,
    debit_date: dt.date | None = None,
    result: bool = False,
    header: dict[str, Any] | None = None,
    **changes: Any,
) -> bytes:
    """A valid one-batch Zengin debit request (or, with ``result``, result) file."""
    date = debit_date or debit_day()
    head = {**DEBIT_HEADER, "debit_date": f"{date:%m%d}", **(header or {})}
    return zengin_debit.build(
        [{"header": head, "records": [payer(i, **changes) for i in range(records)]}], result=result
    )


def collection_file(fmt: str, records: int = 2) -> bytes:
    """A valid one-batch file of a collection format."""
    return bytes(FORMATS[fmt].build([batch(fmt, records)]))


def file_for_kind(kind: DataKind) -> bytes:
    if kind.format == "zengin-debit":
        return debit_file(result=kind.direction == DataKind.Direction.INBOUND)
    return collection_file(kind.format)


def received(data: bytes, name: str = "sample.dat") -> services.Received:
    """``data`` in a temporary file (removed at interpreter exit at the latest), as an upload arrives."""
    fd, path = tempfile.mkstemp(prefix="kokin-test-", suffix=".dat")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return services.received_from_path(Path(path), name=name)


def place(kind: DataKind, data: bytes | None = None, *, name: str = "from-bank.dat") -> ExchangeFile:
    """Place a file (default: a valid one for the kind) in an inbound mailbox; it becomes available."""
    incoming = received(data if data is not None else file_for_kind(kind), name)
    try:
        outcome = services.place(data_kind=kind, received=incoming, actor=TEST_ACTOR, allow_duplicate=True)
    finally:
        assert incoming.path is not None
        incoming.path.unlink(missing_ok=True)
    assert outcome.file is not None, [str(i) for i in outcome.checked.issues[:5]]
    return outcome.file


def upload(kind: DataKind, user: User, data: bytes | None = None, *, name: str = "request.dat") -> ExchangeFile:
    """Upload a file (default: a valid debit request with the business's 委託者コード) as ``user``; it
    waits for approval."""
    if data is None:
        codes = kind.business.consignor_code_list
        data = debit_file(header={"consignor_code": codes[0]} if codes else None)
    incoming = received(data, name)
    try:
        outcome = services.upload(
            data_kind=kind, actor=user_actor(user), received=incoming, confirm_duplicate=True, confirm_warnings=True
        )
    finally:
        assert incoming.path is not None
        incoming.path.unlink(missing_ok=True)
    assert outcome.file is not None, [str(i) for i in outcome.checked.issues[:5]]
    return outcome.file


def sample_file(business_code: str) -> str:
    """The id of a new file from the bank, available in the business's first inbound mailbox."""
    business = Business.objects.get(code=business_code)
    kind = business.data_kinds.filter(direction=DataKind.Direction.INBOUND).order_by("pk").first()
    assert kind is not None, f"{business_code} has no inbound data kind"
    return str(place(kind).id)


def pending_file(business_code: str) -> str:
    """The id of a debit request awaiting approval, uploaded by an operator with 送信 (a business with no
    outbound mailbox gets an inbound file: only its operators' permissions matter then)."""
    business = Business.objects.get(code=business_code)
    kind = business.data_kinds.filter(direction=DataKind.Direction.OUTBOUND).order_by("pk").first()
    sender = User.objects.filter(roles__business=business, roles__role=Role.UPLOAD).order_by("pk").first()
    if kind is None or sender is None:
        return sample_file(business_code)
    return str(upload(kind, sender).id)


def sample_certificate(business_code: str) -> str:
    """The number of a deletion certificate for an erased file of the business."""
    file = ExchangeFile.objects.get(pk=sample_file(business_code))
    return services.erase(file=file, reason="テスト", actor=TEST_ACTOR).number
