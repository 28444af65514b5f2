"""The bank link's transfer history (転送履歴): a :class:`~kokin.banklink.models.BankTransfer` row for
every transfer that ended, either way, and the newest rows for the ``kokin banklink history`` command."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.banklink.models import BankAccount, BankTransfer, BankUpload, Direction
from kokin.exchange.models import ExchangeFile


def _millis(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def record_transfer(
    account: BankAccount,
    actor: Actor,
    *,
    direction: str,
    started: dt.datetime,
    outcome: str,
    file: ExchangeFile | None = None,
    **values: Any,
) -> BankTransfer:
    """The transfer-history row of a transfer by ``account`` that ended, from the address ``actor``
    (the account's connection) came from."""
    finished = timezone.now()
    return BankTransfer.objects.create(
        account=account,
        direction=direction,
        file=file,
        started=started,
        finished=finished,
        duration_ms=values.pop("duration_ms", _millis(finished - started)),
        outcome=outcome,
        client_ip=actor.client_ip[:45],
        **values,
    )


def record_upload_transfer(
    account: BankAccount,
    actor: Actor,
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
        actor,
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
