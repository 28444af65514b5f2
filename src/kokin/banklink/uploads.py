"""Files from the bank by tus 1.0.0 (docs/banklink.md): creating an upload (idempotent by the bank's
file ID), its parts (each PATCH encrypted into the vault as it arrives), its status and its
termination; the disk-space checks before and during a body. The last byte hands the upload to
:mod:`kokin.banklink.finishing`."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from kokin.accounts.models import DataKind
from kokin.audit.actor import Actor
from kokin.banklink import selectors
from kokin.banklink._common import CHUNK, HEX64, KEEP_ERRORS, log_action, plaintext_file, shred_parts
from kokin.banklink.finishing import SinglePatchUpload, finish
from kokin.banklink.history import record_upload_transfer
from kokin.banklink.http import MAX_UPLOAD_BYTES, Refusal
from kokin.banklink.models import BankAccount, BankUpload, BankUploadPart, Outcome
from kokin.exchange import services as exchange
from kokin.exchange import space
from kokin.exchange.models import ExchangePolicy
from kokin.exchange.uploads import LimitedBody
from kokin.vault import services as vault
from kokin.vault.models import Blob

_TRANSFER_ID = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,49}$")


def parse_metadata(header: str) -> dict[str, str]:
    """tus ``Upload-Metadata``: ``key base64,key base64``; :class:`Refusal` 400 if malformed."""
    values: dict[str, str] = {}
    for pair in header.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8") if encoded else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise Refusal(
                400, f"Upload-Metadata の {key} が base64 ではありません", f"Upload-Metadata {key} is not base64"
            ) from exc
    return values


def inbound_kind(transfer_id: str, account: BankAccount, actor: Actor) -> DataKind:
    """The inbound mailbox of ``transfer_id`` if ``account`` serves it; a mailbox it does not serve is
    answered as unknown (logged as denied), so that its existence is not revealed."""
    kind = DataKind.objects.select_related("business").filter(transfer_id=transfer_id).first()
    if kind is not None and not selectors.serves(account, kind):
        log_action(
            "banklink_upload_create",
            actor,
            object=f"transfer_id:{transfer_id}",
            outcome="denied",
            reason="out_of_scope",
        )
        kind = None
    if kind is None or not _TRANSFER_ID.match(transfer_id):
        raise Refusal(400, f"転送ファイルID {transfer_id} はありません", f"unknown transfer ID {transfer_id}")
    if kind.direction != DataKind.Direction.INBOUND:
        raise Refusal(
            400,
            f"転送ファイルID {transfer_id} はハブから金融機関へ送るデータです",
            f"transfer ID {transfer_id} is for files to the bank, not from it",
        )
    return kind


def create_upload(*, account: BankAccount, actor: Actor, length_header: str, metadata_header: str) -> BankUpload:
    """tus creation, idempotent by ``bank_file_id``: the same ID and SHA-256 → that upload; another
    SHA-256 → 409."""
    try:
        length = int(length_header)
    except ValueError as exc:
        raise Refusal(400, "Upload-Length が必要です", "Upload-Length is required") from exc
    if length < 1:
        raise Refusal(400, "空のファイルは受け付けません", "an empty file is not accepted")
    meta = parse_metadata(metadata_header)
    missing = [k for k in ("filename", "transfer_id", "bank_file_id", "sha256") if not meta.get(k)]
    if missing:
        raise Refusal(
            400,
            f"Upload-Metadata に {', '.join(missing)} がありません",
            f"Upload-Metadata lacks {', '.join(missing)}",
        )
    sha256 = meta["sha256"].strip().lower()
    if not HEX64.match(sha256):
        raise Refusal(400, "sha256 は 16進64桁です", "sha256 must be 64 hex digits")
    bank_file_id = meta["bank_file_id"].strip()[:200]
    existing = BankUpload.objects.filter(account=account, bank_file_id=bank_file_id).first()
    if existing is not None:
        return _same_upload(existing, sha256, length)
    kind = inbound_kind(meta["transfer_id"].strip(), account, actor)
    limit = min(MAX_UPLOAD_BYTES, ExchangePolicy.for_business(kind.business).max_upload_bytes)
    if length > limit:
        raise Refusal(
            413,
            f"ファイルが大きすぎます (上限 {limit:,} バイト)",
            f"the file is too large (at most {limit:,} bytes)",
            headers={"Tus-Max-Size": str(limit)},
        )
    room_for(actor, length, object=f"transfer:{kind.transfer_id or ''}", bank_file_id=bank_file_id)
    filename = Path(meta["filename"].replace("\\", "/")).name[:255] or "from-bank.dat"
    try:
        with transaction.atomic():
            upload = BankUpload.objects.create(
                account=account,
                bank_file_id=bank_file_id,
                transfer_id=kind.transfer_id or "",
                data_kind=kind,
                filename=filename,
                length=length,
                sha256=sha256,
                client_ip=actor.client_ip[:45],
            )
            log_action(
                "banklink_upload_create",
                actor,
                object=f"upload:{upload.id}",
                sha256=sha256,
                bank_file_id=bank_file_id,
                transfer_id=upload.transfer_id,
                filename=filename,
                length=length,
            )
    except IntegrityError:  # the same bank_file_id created concurrently: that one it is
        existing = BankUpload.objects.get(account=account, bank_file_id=bank_file_id)
        return _same_upload(existing, sha256, length)
    return upload


def no_space(actor: Actor, *, object: str, error: BaseException | None = None, **detail: Any) -> Refusal:
    """507 for an upload the disk has no room for (before its body, or the disk filled during it),
    logged (failure of ``banklink_upload_part``) with the shortage (:func:`kokin.exchange.space.note_shortage`)."""
    if error is not None:
        detail.update(when="body", error=space.describe(error))
    with contextlib.suppress(DatabaseError):  # a database too full for the log: see note_shortage
        log_action("banklink_upload_part", actor, object=object, outcome="failure", reason="no_space", **detail)
    space.note_shortage(reason="upload", actor=actor, via="banklink", object=object)
    return Refusal(507, space.MESSAGE_JA, space.MESSAGE_EN)


def room_for(actor: Actor, length: int, *, object: str, **detail: Any) -> None:
    """:func:`no_space` unless ``length`` more bytes fit on the hub's disk with the margin."""
    try:
        space.ensure_room(length)
    except space.NoSpace as exc:
        raise no_space(
            actor,
            object=object,
            when="declared",
            needed_mb=-(-exc.needed // space.MB),
            free_mb=exc.free // space.MB,
            **detail,
        ) from None


def _same_upload(existing: BankUpload, sha256: str, length: int) -> BankUpload:
    if existing.sha256 != sha256 or existing.length != length:
        raise Refusal(
            409,
            "同じ bank_file_id で内容の異なるファイルが既に送られています",
            "a different file was already sent with this bank_file_id",
        )
    return existing


def upload_for(account: BankAccount, upload_id: Any) -> BankUpload:
    try:
        found = BankUpload.objects.select_related("data_kind__business", "file").filter(pk=upload_id).first()
    except (ValueError, TypeError):
        found = None
    if found is None or found.account_id != account.pk:
        raise Refusal(404, "このアップロードはありません", "no such upload")
    return found


def write_part(
    *,
    account: BankAccount,
    actor: Actor,
    upload: BankUpload,
    offset: int,
    content_length: int,
    read: Callable[[int], bytes],
) -> BankUpload:
    """tus PATCH: the bytes at ``offset`` are encrypted into the vault as one part; the last byte
    finishes the upload (:func:`~kokin.banklink.finishing.finish`).

    A PATCH that carries the whole file (offset 0 to the end, the agent's usual case) is taken in
    (:mod:`kokin.exchange.intake`): hashed, encrypted and checked while it arrives, with a plaintext copy
    in a temp file for matching a debit result against its request; its part's blob then becomes the
    stored file's blob, so the file is neither read back, decrypted nor encrypted again. Cut short, it
    is an ordinary first part and the upload resumes as any other."""
    if upload.outcome != Outcome.INCOMPLETE or upload.offset == upload.length:
        if offset == upload.length and content_length == 0:
            return finish(account=account, actor=actor, upload=upload)
        raise Refusal(
            409,
            "このアップロードは完了しています",
            "this upload is complete",
            headers={"Upload-Offset": str(upload.offset)},
        )
    if offset != upload.offset:
        BankUpload.objects.filter(pk=upload.pk).update(retries=upload.retries + 1)
        raise Refusal(
            409,
            f"Upload-Offset がハブの受信済みバイト数 ({upload.offset}) と違います",
            f"Upload-Offset does not match the server's offset ({upload.offset})",
            headers={"Upload-Offset": str(upload.offset)},
        )
    if content_length > upload.length - offset:
        raise Refusal(
            413,
            "Upload-Length を超えるデータです",
            "the body goes past Upload-Length",
            headers={"Upload-Offset": str(upload.offset)},
        )
    body = LimitedBody(read, content_length, chunk=CHUNK)  # a cut body keeps what arrived
    chunks = iter(body)
    first = next(chunks, b"")
    if not first:
        return upload

    def all_chunks() -> Iterator[bytes]:
        yield first
        yield from chunks

    if offset != 0 or content_length != upload.length:
        sealed = vault.seal(all_chunks())
        upload, _ = _record_part(actor, upload, offset, sealed, body.cut)
        if upload.offset == upload.length:
            return finish(account=account, actor=actor, upload=upload)
        return upload
    # a debit result is matched against its request record by record, from a plaintext copy on disk;
    # collection data needs none
    keep_plaintext = upload.data_kind.format == "zengin-debit"
    with ExitStack() as stack:
        plain, path = stack.enter_context(plaintext_file()) if keep_plaintext else (None, None)
        with exchange.intake_for(upload.data_kind, plaintext=plain) as intake:
            for chunk in all_chunks():
                intake.write(chunk)
            taken = intake.close()
        upload, blob = _record_part(actor, upload, offset, taken.sealed, body.cut)
        if upload.offset != upload.length:
            return upload  # cut short: the temp file goes, the part stays and the upload resumes
        whole = SinglePatchUpload(
            path=path, sha256=taken.sha256, size=taken.size, blob=blob, checked=taken.checked, scanned=taken.scanned
        )
        return finish(account=account, actor=actor, upload=upload, whole=whole)


def _record_part(
    actor: Actor, upload: BankUpload, offset: int, sealed: vault.Sealed, cut: bool
) -> tuple[BankUpload, Blob]:
    """Keep the sealed bytes as the part at ``offset``: its blob row, the part and the new offset in one
    transaction (otherwise the body is removed)."""
    try:
        with transaction.atomic():
            locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
            if locked.offset != offset or locked.outcome != Outcome.INCOMPLETE:
                raise Refusal(
                    409,
                    "同じアップロードへの別の送信と重なりました",
                    "another PATCH of this upload came first",
                    headers={"Upload-Offset": str(locked.offset)},
                )
            blob = sealed.save()
            BankUploadPart.objects.create(upload=locked, start=offset, size=blob.size, blob=blob)
            locked.offset = offset + blob.size
            locked.patches += 1
            locked.retries += 1 if cut else 0
            locked.updated = timezone.now()
            locked.save(update_fields=["offset", "patches", "retries", "updated"])
            log_action(
                "banklink_upload_part",
                actor,
                object=f"upload:{locked.id}",
                offset=offset,
                bytes=blob.size,
                cut=cut,
                blob=str(blob.id),
            )
    except BaseException:
        sealed.discard()
        raise
    return locked, blob


def delete_upload(*, account: BankAccount, actor: Actor, upload: BankUpload) -> None:
    """tus termination: an unfinished upload is dropped with its parts; a finished one stays."""
    with transaction.atomic():
        locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.outcome != Outcome.INCOMPLETE:
            raise Refusal(409, "完了したアップロードは取り消せません", "a finished upload cannot be terminated")
        shred_parts(locked, "banklink: the upload was terminated")
        record_upload_transfer(
            account,
            actor,
            locked,
            outcome="cancelled",
            size=locked.offset,
            sha256=locked.sha256,
            reason="金融機関による取消し / terminated by the bank",
        )
        log_action(
            "banklink_upload_delete",
            actor,
            object=f"upload:{locked.id}",
            sha256=locked.sha256,
            bank_file_id=locked.bank_file_id,
            offset=locked.offset,
        )
        locked.delete()


def status(upload: BankUpload) -> dict[str, Any]:
    return {
        "id": str(upload.id),
        "bank_file_id": upload.bank_file_id,
        "transfer_id": upload.transfer_id,
        "filename": upload.filename,
        "offset": upload.offset,
        "length": upload.length,
        "sha256": upload.sha256,
        "outcome": upload.outcome,
        "file_id": str(upload.file_id) if upload.file_id else None,
        "reason": upload.reason,
        "errors": upload.errors[:KEEP_ERRORS],
    }
