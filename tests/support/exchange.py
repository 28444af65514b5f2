"""Test support: valid files of every format, and files in a business's mailboxes in a given state.

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
from kokin.exchange import bankdays, services
from kokin.exchange.models import DEFAULT_LEAD_BUSINESS_DAYS, ExchangeFile
from kokin.formats import FORMATS
from kokin.formats.kinds import zengin_debit

#: who places files and erases them in these tests: a command run by ``os:test``
TEST_ACTOR = Actor(name="os:test", role=COMMAND_ROLE)
#: the bank's system account of these tests, as the bank link writes it
BANK_AGENT = Actor(name="bank-agent", role=BANK_ROLE)

#: a consignor header whose bank (0001 みずほ) and branch (001) are in the master
DEBIT_HEADER: dict[str, Any] = {
    "consignor_code": "1234567890",
    "consignor_name": "ﾃｽﾄｸ ｾﾞｲﾑｶ",
    "bank_code": "0001",
    "bank_name": "ﾐｽﾞﾎ",
    "branch_code": "001",
    "branch_name": "ﾄｳｷﾖｳ",
    "account_type": "1",
    "account_number": "1234567",
}
_BANK = {"bank_code": "0001", "bank_name": "ﾐｽﾞﾎ", "branch_code": "001", "branch_name": "ﾄｳｷﾖｳ"}
_WARD = {"municipality_code": "131105", "municipality_name": "ﾃﾞﾓｸ ｾﾞｲﾑｶ", "creation_date": "20260527"}
_SLIP = {
    "item_code": "11",
    "assessment_year": "2026",
    "instalment": "03",
    "notice_number": "2026000123",
    "billed_amount": 12500,
    "amount": 12500,
    "late_charge": 0,
    "collecting_bank_code": "0005",
    "collecting_branch_code": "001",
    "payment_date": "20260525",
    "slip_kind": "1",
    "payment_kind": "1",
}
_SPECIAL = {
    "assessment_year": "2026",
    "instalment": "05",
    "employer_number": "12345678",
    "amount": 184500,
    "retirement_tax": 12000,
    "late_charge": 300,
    "collecting_bank_code": "0005",
    "payment_date": "20260511",
}
#: one valid batch (header, one data record) per collection format
COLLECTION: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "mpn-receipt": (
        {
            "collector_number": "13110",
            "collector_name": "ﾃﾞﾓｸ",
            "creation_date": "20260527",
            "report_kind": "2",
            **_BANK,
        },
        {
            "item_code": "01",
            "assessment_year": "2026",
            "instalment": "02",
            "payment_number": "1234567890",
            "check_number": "4321",
            "amount": 25000,
            "collecting_bank_code": "0005",
            "payment_date": "20260525",
            "payment_kind": "1",
            "channel": "3",
        },
    ),
    "general-receipt": ({**_WARD, **_BANK}, _SLIP),
    "general-receipt-waste": (
        {**_WARD, **_BANK},
        {
            **_SLIP,
            "item_code": "31",
            "instalment": "01",
            "billed_amount": 2000,
            "amount": 1800,
            "collected_amount": 2000,
            "commission_amount": 200,
            "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        },
    ),
    "special-receipt": (
        {**_WARD, **_BANK},
        {**_SPECIAL, "collecting_branch_code": "001", "slip_kind": "2", "payment_kind": "1"},
    ),
    "special-breakdown": (
        {
            "municipality_code": "131105",
            "municipality_name": "デモ区",
            "creation_date": "20260527",
            "bank_code": "0001",
            "bank_name": "みずほ銀行",
            "branch_code": "001",
            "branch_name": "東京営業部",
        },
        {
            **_SPECIAL,
            "agent_bank_code": "0005",
            "agent_bank_name": "三菱ＵＦＪ銀行",
            "aggregating_branch_code": "001",
            "aggregating_branch_name": "本店",
            "handling_branch_code": "001",
            "handling_branch_name": "本店",
            "employer_name": "株式会社山田建設",
            "postal_code": "1520001",
            "address": "東京都デモ区中央町一丁目２番３号",
        },
    ),
}


def operator(username: str) -> Actor:
    """The demo operator ``username`` as the pages would pass them to a service."""
    return user_actor(User.objects.get(username=username))


def payer(i: int = 0, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        **_BANK,
        "account_type": "1",
        "account_number": f"{7654321 - i:07d}",
        "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
        "amount": 1000 + i,
        "new_code": "0",
        "customer_number": f"{i + 1:020d}",
        "result_code": "0",
    }
    values.update(changes)
    return values


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
    header, record = COLLECTION[fmt]
    rows = [{**record, "amount": record["amount"] + i} for i in range(records)]
    return bytes(FORMATS[fmt].build([{"header": header, "records": rows}]))


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
    """Upload a file (default: a valid debit request) as ``user``; it waits for approval."""
    incoming = received(data if data is not None else debit_file(), name)
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
