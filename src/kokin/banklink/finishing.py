"""Finishing an upload from the bank whose last byte is in: claiming it (one request only), assembling
its parts, checking the whole file's SHA-256 (a mismatch restarts the upload at 0), placing it as
the exchange does and closing the upload with its history row; an upload whose finishing died with
its server is finished again."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.banklink._common import CHUNK, KEEP_ERRORS, log_action, plaintext_file, shred_parts
from kokin.banklink.history import record_upload_transfer
from kokin.banklink.http import Refusal
from kokin.banklink.models import BankAccount, BankUpload, Outcome
from kokin.exchange import services as exchange
from kokin.exchange.checks import Checked
from kokin.exchange.services import screening
from kokin.scanning.clamd import ScanOutcome
from kokin.vault import services as vault
from kokin.vault.models import Blob

#: a finishing upload whose request died (server killed) may be finished again after this
FINISH_STALE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class SinglePatchUpload:
    """A whole upload received in one PATCH: the blob (a part of the upload) that holds it encrypted,
    with the SHA-256 computed and the check made while it arrived, and its plaintext in a temp file
    where a debit result needs it for matching (else ``path`` is None)."""

    path: Path | None
    sha256: str
    size: int
    blob: Blob
    #: what checking found while the bytes arrived (:mod:`kokin.exchange.intake`)
    checked: Checked
    #: what the malware scan found while they arrived (None: scanning is off)
    scanned: ScanOutcome | None = None


def _claim_for_finishing(upload: BankUpload) -> bool:
    now = timezone.now()
    return bool(
        BankUpload.objects.filter(pk=upload.pk, outcome=Outcome.INCOMPLETE, offset=upload.length)
        .filter(Q(finishing_since__isnull=True) | Q(finishing_since__lt=now - FINISH_STALE))
        .update(finishing_since=now)
    )


def _assemble(upload: BankUpload, target: Any) -> tuple[str, int]:
    """Decrypt the parts in order into ``target``; their SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    for part in upload.parts.order_by("start"):
        if part.start != size:
            raise Refusal(500, "受信データの断片が連続していません", "the parts of the upload are not contiguous")
        with vault.open_blob(part.blob_id) as reader:
            while chunk := reader.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
                size += len(chunk)
    return digest.hexdigest(), size


class ChecksumRefusal(Refusal):
    """The whole file's SHA-256 is not the announced one: 460, and the upload starts again at 0."""


def _issues(outcome: exchange.Outcome) -> list[dict[str, Any]]:
    return [
        {"record": i.record, "field": i.field, "message_ja": i.message_ja, "message_en": i.message_en}
        for i in outcome.checked.report.errors[:KEEP_ERRORS]
    ]


def finish(
    *, account: BankAccount, actor: Actor, upload: BankUpload, whole: SinglePatchUpload | None = None
) -> BankUpload:
    """The last byte is in: check the whole file's SHA-256, then validate and route it as the exchange
    does (:func:`kokin.exchange.services.place`; a debit result must match its request). Only one
    request finishes an upload; the parts are shredded afterwards either way (but for a part whose
    blob the stored file took over).

    ``whole``: the upload arrived in one PATCH (:func:`~kokin.banklink.uploads.write_part`), its
    plaintext is on disk already and its one part's blob becomes the file's; otherwise the parts are
    decrypted in order into a temp file, hashing them on the way."""
    if not _claim_for_finishing(upload):
        upload.refresh_from_db()
        return upload
    try:
        if whole is not None:
            _place_assembled(
                account, actor, upload, whole.path, whole.sha256, whole.size, whole.blob, whole.checked, whole.scanned
            )
        else:
            with plaintext_file() as (fh, path):
                sha256, size = _assemble(upload, fh)
                _place_assembled(account, actor, upload, path, sha256, size, None)
    except BaseException:
        BankUpload.objects.filter(pk=upload.pk).update(finishing_since=None)
        raise
    upload.refresh_from_db()
    return upload


def _place_assembled(
    account: BankAccount,
    actor: Actor,
    upload: BankUpload,
    path: Path | None,
    sha256: str,
    size: int,
    blob: Blob | None,
    checked: Checked | None = None,
    scanned: ScanOutcome | None = None,
) -> None:
    if sha256 != upload.sha256 or size != upload.length:
        _restart(account, actor, upload, sha256)
        raise ChecksumRefusal(
            460,
            "ファイル全体の SHA-256 が申告と一致しません。最初から送り直してください",
            "the SHA-256 of the whole file does not match the announced one; send it again from the start",
            headers={"Upload-Offset": "0"},
        )
    received = exchange.Received(path=path, name=upload.filename, size=size, sha256=sha256, scanned=scanned)
    placed = exchange.place(
        data_kind=upload.data_kind,
        received=received,
        actor=actor,
        require_request=upload.data_kind.format == "zengin-debit",
        blob=blob,
        checked=checked,
    )
    if placed.held is not None:
        # not scanned: held, not rejected — the upload stays complete and unfinished, so the agent's
        # next attempt (or a status request) finishes it again and scans again
        ja, en = screening.refusal(placed) or ("", "")
        raise Refusal(503, ja, en, headers={"Retry-After": "60"})
    _close_upload(account, actor, upload, placed)


def _restart(account: BankAccount, actor: Actor, upload: BankUpload, actual: str) -> None:
    with transaction.atomic():
        locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
        shred_parts(locked, "banklink: the whole file's SHA-256 did not match")
        locked.offset = 0
        locked.retries += 1
        locked.finishing_since = None
        locked.updated = timezone.now()
        locked.reason = "sha256_mismatch"
        locked.save(update_fields=["offset", "retries", "finishing_since", "updated", "reason"])
        record_upload_transfer(
            account,
            actor,
            locked,
            outcome="failed",
            size=locked.length,
            sha256=actual,
            reason="SHA-256 がアップロード開始時の申告と一致しません / SHA-256 mismatch",
        )
        log_action(
            "banklink_upload_finish",
            actor,
            object=f"upload:{locked.id}",
            sha256=actual,
            outcome="failure",
            reason="sha256_mismatch",
            expected=locked.sha256,
        )


def _rejection_reason(placed: exchange.Outcome) -> str:
    if placed.file is not None:
        return ""
    refused = screening.refusal(placed)
    if refused is not None:
        return " / ".join(refused)[:500]
    if not placed.checked.ok:
        first = placed.checked.report.errors[:1]
        if first:
            issue = first[0]
            where = f"レコード {issue.record} " if issue.record is not None else ""
            return f"{where}{issue.field}: {issue.message_ja} / {issue.message_en}"[:500]
        return "検証エラー / invalid"
    if "duplicate" in placed.needs:
        ids = ", ".join(str(f.id) for f in placed.duplicates[:3])
        return f"同じ内容のファイルを受信済みです ({ids}) / the same file was received already ({ids})"[:500]
    return f"受け付けられません ({', '.join(placed.needs)}) / not accepted"[:500]


def _close_upload(account: BankAccount, actor: Actor, upload: BankUpload, placed: exchange.Outcome) -> None:
    now = timezone.now()
    stored = placed.file is not None
    reason = _rejection_reason(placed)
    with transaction.atomic():
        locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
        shred_parts(locked, "banklink: the upload is finished")
        locked.outcome = Outcome.STORED if stored else Outcome.REJECTED
        locked.file = placed.file
        locked.errors = _issues(placed)
        if not stored and not locked.errors:
            locked.errors = [{"record": None, "field": "file", "message_ja": reason, "message_en": reason}]
        locked.reason = reason
        locked.finished = now
        locked.updated = now
        locked.finishing_since = None
        locked.save()
        record_upload_transfer(
            account,
            actor,
            locked,
            outcome=locked.outcome,
            size=locked.length,
            sha256=locked.sha256,
            reason=reason,
            file=placed.file,
        )
        log_action(
            "banklink_upload_finish",
            actor,
            object=f"upload:{locked.id}",
            sha256=locked.sha256,
            outcome="success" if stored else "failure",
            result=locked.outcome,
            file=str(placed.file.id) if placed.file is not None else None,
            reason=reason,
            errors=placed.checked.report.error_count,
        )


def finish_if_due(account: BankAccount, actor: Actor, upload: BankUpload) -> BankUpload:
    """An upload whose last byte arrived but whose finishing died with its server is finished now."""
    if upload.outcome == Outcome.INCOMPLETE and upload.offset == upload.length:
        try:
            return finish(account=account, actor=actor, upload=upload)
        except ChecksumRefusal:
            upload.refresh_from_db()
    return upload
