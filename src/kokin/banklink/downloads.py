"""Files for the bank: the approved files of the mailboxes an account serves, one of them streamed
from the vault (whole or a ``Range``), and the bank's acknowledgement that marks it collected. A
file of a mailbox the account does not serve is answered as not found (logged as denied)."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kokin.accounts.models import DataKind
from kokin.audit.actor import Actor
from kokin.banklink import selectors
from kokin.banklink._common import CHUNK, HEX64, log_action
from kokin.banklink.history import record_transfer
from kokin.banklink.http import Refusal
from kokin.banklink.models import BankAccount, Direction
from kokin.exchange import selectors as exchange_selectors
from kokin.exchange import services as exchange
from kokin.exchange.errors import ExchangeError
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.vault import services as vault


def files_for_bank(account: BankAccount) -> list[ExchangeFile]:
    """The files waiting for ``account``: of the mailboxes it serves only."""
    return list(selectors.files_for_bank(account).select_related("data_kind__reply_kind"))


def entry(file: ExchangeFile) -> dict[str, Any]:
    kind = file.data_kind
    reply = kind.reply_kind
    return {
        "id": str(file.id),
        "transfer_id": kind.transfer_id or "",
        "reply_transfer_id": (reply.transfer_id or "") if reply is not None else "",
        "name": file.original_name,
        "format": file.format,
        "size": file.size,
        "sha256": file.sha256,
        "consignor_code": file.consignor_code,
        "debit_date": file.debit_date.isoformat() if file.debit_date else None,
        "records": file.total_count,
        "amount": file.total_amount,
        "approved_at": file.approved_at.isoformat() if file.approved_at else None,
    }


def _out_of_scope(action: str, actor: Actor, file: ExchangeFile) -> None:
    """Log a request for a file of a mailbox the account does not serve (it is answered as not found)."""
    log_action(
        action,
        actor,
        object=f"file:{file.id}",
        sha256=file.sha256,
        outcome="denied",
        reason="out_of_scope",
        transfer_id=file.data_kind.transfer_id or "",
    )


def waiting_file(account: BankAccount, actor: Actor, file_id: Any) -> ExchangeFile:
    """An approved outbound file of a mailbox ``account`` serves that the bank has not collected yet,
    or :class:`Refusal` 404 — also for another account's file (logged as denied), so that its
    existence is not revealed."""
    try:
        found = exchange_selectors.files_for_bank().filter(pk=file_id).first()
    except (ValueError, TypeError, ValidationError):
        found = None
    if found is not None and not selectors.serves(account, found.data_kind):
        _out_of_scope("banklink_download", actor, found)
        found = None
    if found is None:
        raise Refusal(404, "金融機関の取得待ちのファイルではありません", "no such file is waiting for the bank")
    return found


def stream_file(file: ExchangeFile, first: int, last: int) -> Iterator[bytes]:
    """Bytes ``first..last`` of the file, decrypted from the vault as they are sent; the bytes before
    ``first`` are decrypted and skipped (the vault's segments are authenticated in order)."""
    reader = vault.open_blob(file.blob_id)
    try:
        skip = first
        while skip:
            got = reader.read(min(CHUNK, skip))
            if not got:
                return
            skip -= len(got)
        left = last - first + 1
        while left > 0:
            chunk = reader.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
        if last == file.size - 1:
            reader.read(1)  # reach the end, so the reader checks the whole file's length and SHA-256
    finally:
        reader.close()


def log_download(actor: Actor, file: ExchangeFile, first: int, last: int) -> None:
    log_action(
        "banklink_download",
        actor,
        object=f"file:{file.id}",
        sha256=file.sha256,
        transfer_id=file.data_kind.transfer_id or "",
        range=[first, last],
        size=file.size,
    )


def acknowledge(*, account: BankAccount, actor: Actor, file_id: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The bank has the file: check its SHA-256 and mark it collected (idempotent for a collected file)."""
    sha256 = str(body.get("sha256", "")).strip().lower()
    try:
        size = int(body.get("bytes", 0) or 0)
        duration = int(body.get("duration_ms", 0) or 0)
        retries = int(body.get("retries", 0) or 0)
    except (TypeError, ValueError) as exc:
        raise Refusal(
            400, "bytes・duration_ms・retries は整数です", "bytes, duration_ms and retries are integers"
        ) from exc
    if not HEX64.match(sha256):
        raise Refusal(400, "sha256 (16進64桁) が必要です", "sha256 (64 hex digits) is required")
    try:
        file = ExchangeFile.objects.select_related("data_kind").get(pk=file_id, direction=DataKind.Direction.OUTBOUND)
    except (ExchangeFile.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Refusal(404, "金融機関向けのファイルではありません", "no such file for the bank") from exc
    if not selectors.serves(account, file.data_kind):
        _out_of_scope("banklink_ack", actor, file)
        raise Refusal(404, "金融機関向けのファイルではありません", "no such file for the bank")
    started = timezone.now() - dt.timedelta(milliseconds=max(0, duration))
    common = {
        "bank_file_id": "",
        "transfer_id": file.data_kind.transfer_id or "",
        "filename": file.original_name,
        "bytes": size,
        "sha256": sha256,
        "duration_ms": max(0, duration),
        "retries": max(0, retries),
    }
    if file.state not in (State.APPROVED, State.COLLECTED):
        raise Refusal(
            409,
            f"このファイルは取得できる状態ではありません ({file.state_label})",
            f"the file is not waiting for the bank (state {file.state})",
        )
    if not hmac.compare_digest(sha256, file.sha256):
        with transaction.atomic():
            record_transfer(
                account,
                actor,
                direction=Direction.TO_BANK,
                started=started,
                outcome="failed",
                file=file,
                reason="sha256_mismatch",
                **common,
            )
            log_action(
                "banklink_ack",
                actor,
                object=f"file:{file.id}",
                sha256=sha256,
                outcome="failure",
                reason="sha256_mismatch",
                expected=file.sha256,
            )
        raise Refusal(
            409,
            "SHA-256 がハブのファイルと一致しません。もう一度取得してください",
            "the SHA-256 does not match the hub's file; download it again",
        )
    if file.state == State.COLLECTED:
        log_action("banklink_ack", actor, object=f"file:{file.id}", sha256=sha256, repeated=True)
        return {"state": State.COLLECTED.value, "file_id": str(file.id)}
    try:
        with transaction.atomic():
            exchange.mark_collected(file, actor=actor)
            record_transfer(
                account, actor, direction=Direction.TO_BANK, started=started, outcome="collected", file=file, **common
            )
            log_action("banklink_ack", actor, object=f"file:{file.id}", sha256=sha256, bytes=size, retries=retries)
    except ExchangeError as exc:
        file.refresh_from_db()
        if file.state == State.COLLECTED:  # a concurrent ack of the same file won
            return {"state": State.COLLECTED.value, "file_id": str(file.id)}
        raise Refusal(409, exc.message_ja, exc.message_en) from exc
    return {"state": State.COLLECTED.value, "file_id": str(file.id)}
