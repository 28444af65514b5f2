"""The bank link's transfer history (転送履歴): a :class:`~kokin.banklink.models.BankTransfer` row for
every transfer that ended, either way, and the newest rows for the ``kokin banklink history`` command."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from kokin.accounts.network import client_ip
from kokin.banklink.models import BankAccount, BankTransfer, BankUpload, Direction
from kokin.exchange.models import ExchangeFile


def _millis(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def record_transfer(
    account: BankAccount,
    request: HttpRequest | None,
    *,
    direction: str,
    started: dt.datetime,
    outcome: str,
    file: ExchangeFile | None = None,
    **values: Any,
) -> BankTransfer:
    finished = timezone.now()
    return BankTransfer.objects.create(
        account=account,
        direction=direction,
        file=file,
        started=started,
        finished=finished,
        duration_ms=values.pop("duration_ms", _millis(finished - started)),
        outcome=outcome,
        client_ip=client_ip(request)[:45] if request is not None else "",
        **values,
    )


def record_upload_transfer(
    account: BankAccount,
    request: HttpRequest | None,
    upload: BankUpload,
    *,
    outcome: str,
    size: int,
    sha256: str,
    reason: str,
    file: ExchangeFile | None = None,
) -> BankTransfer:
    """The transfer-history row of an upload from the bank that ended (stored, rejected, failed, cancelled)."""
    return record_transfer(
        account,
        request,
        direction=Direction.FROM_BANK,
        started=upload.created,
        outcome=outcome,
        file=file,
        bank_file_id=upload.bank_file_id,
        transfer_id=upload.transfer_id,
        filename=upload.filename,
        bytes=size,
        sha256=sha256,
        retries=upload.retries,
        reason=reason,
    )


def history(*, limit: int = 50) -> list[BankTransfer]:
    return list(BankTransfer.objects.select_related("account").order_by("-finished", "-pk")[:limit])
