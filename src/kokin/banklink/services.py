"""The hub side of the bank link (docs/banklink.md): bank system accounts and their authentication,
files for the bank (list, ranged download, acknowledgement) and files from the bank (tus uploads whose
parts are kept in the vault), and the transfer history.

Every refusal and every change writes an operation-log entry (:func:`kokin.audit.services.record`);
every finished transfer a :class:`~kokin.banklink.models.BankTransfer` row.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, parse_networks
from kokin.accounts.network import client_cert_fingerprint, client_ip
from kokin.api.services import call_of, new_secret, secret_digest, split_token
from kokin.audit.services import COMMAND_ROLE, record
from kokin.banklink import ranges, selectors
from kokin.banklink.models import BankAccount, BankTransfer, BankUpload, BankUploadPart, Direction, Outcome
from kokin.exchange import selectors as exchange_selectors
from kokin.exchange import services as exchange
from kokin.exchange import space
from kokin.exchange.checks import Checked
from kokin.exchange.errors import ExchangeError
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.states import State
from kokin.vault import services as vault
from kokin.vault.models import Blob

ROLE = "金融機関"
TOKEN_PREFIX = "kb"
TUS_VERSION = "1.0.0"
#: the largest upload announced in OPTIONS; each mailbox's own limit (ExchangePolicy) applies too
MAX_UPLOAD_BYTES = int(getattr(settings, "BANKLINK_MAX_UPLOAD_BYTES", 2 * 1024**3))
#: how much of a request body or a blob is handled at a time
CHUNK = 1 << 20
#: a finishing upload whose request died (server killed) may be finished again after this
FINISH_STALE = dt.timedelta(minutes=10)
#: errors kept on an upload (all are counted in the log)
KEEP_ERRORS = 100
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_TRANSFER_ID = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,49}$")


class Refusal(Exception):
    """A request the bank link answers with an error: HTTP status and the reason in Japanese and English."""

    def __init__(self, status: int, ja: str, en: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{ja} / {en}")
        self.status = status
        self.ja = ja
        self.en = en
        self.headers = headers or {}


def _call(request: HttpRequest | None) -> str:
    return call_of(request) if request is not None else ""


def _ms(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


# --- accounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAccount:
    account: BankAccount
    token: str
    cert: Path
    key: Path
    token_path: Path


@dataclass(frozen=True)
class Scope:
    """What an account serves: businesses (every mailbox of each) and single mailboxes by transfer ID."""

    businesses: list[Business]
    kinds: list[DataKind]

    @property
    def empty(self) -> bool:
        return not self.businesses and not self.kinds

    def detail(self) -> dict[str, list[str]]:
        return {
            "businesses": sorted(b.code for b in self.businesses),
            "transfer_ids": sorted(k.transfer_id or "" for k in self.kinds),
        }


def resolve_scope(*, businesses: Sequence[str] = (), transfer_ids: Sequence[str] = ()) -> Scope:
    """Business codes and transfer IDs → a :class:`Scope`; ``ValueError`` (bilingual) naming what is unknown."""
    codes, ids = sorted(set(businesses)), sorted(set(transfer_ids))
    found = list(Business.objects.filter(code__in=codes).order_by("code"))
    missing = sorted(set(codes) - {b.code for b in found})
    if missing:
        raise ValueError(f"業務 {', '.join(missing)} はありません / no business {', '.join(missing)}")
    kinds = list(DataKind.objects.filter(transfer_id__in=ids).order_by("transfer_id"))
    missing = sorted(set(ids) - {k.transfer_id for k in kinds})
    if missing:
        raise ValueError(f"転送ファイルID {', '.join(missing)} はありません / no transfer ID {', '.join(missing)}")
    return Scope(found, kinds)


def create_account(
    *,
    name: str,
    networks: str,
    folder: Path,
    actor: str,
    businesses: Sequence[str] = (),
    transfer_ids: Sequence[str] = (),
) -> NewAccount:
    """A bank system account: a client certificate from the hub's CA (bound by its fingerprint), a token
    (only its prefix and the secret's SHA-256 are kept) written to ``folder/token`` with mode 0600, and
    the businesses and transfer IDs it serves (none: it serves nothing until :func:`set_scope`)."""
    from kokin.web.tls import issue_client_cert

    if not _NAME.match(name):
        raise ValueError(
            "名前は英数字・.・_・- で 100 文字までです / the name is letters, digits, '.', '_', '-' (at most 100)"
        )
    try:
        networks_given = parse_networks(networks)
    except ValueError as exc:
        raise ValueError(f"アドレス範囲が正しくありません / not a CIDR range: {exc}") from exc
    if not networks_given:
        raise ValueError("接続を許可するアドレス範囲を指定してください / give at least one CIDR range")
    if BankAccount.objects.filter(name=name).exists():
        raise ValueError(f"{name} は既にあります / an account named {name} exists already")
    scope = resolve_scope(businesses=businesses, transfer_ids=transfer_ids)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert, key, fingerprint = issue_client_cert(name, folder)
    prefix, secret = new_secret()
    token = f"{TOKEN_PREFIX}_{prefix}_{secret}"
    with transaction.atomic():
        account = BankAccount.objects.create(
            name=name,
            cert_fingerprint=fingerprint,
            token_prefix=prefix,
            token_sha256=secret_digest(secret),
            allowed_networks=",".join(str(r) for r in networks_given),
        )
        account.businesses.set(scope.businesses)
        account.data_kinds.set(scope.kinds)
        record(
            action="banklink_account_create",
            actor=actor,
            role=COMMAND_ROLE,
            object=f"bank:{name}",
            detail={
                "token_prefix": prefix,
                "cert_fingerprint": fingerprint,
                "networks": account.allowed_networks,
                **scope.detail(),
            },
        )
    token_path = folder / "token"
    fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    os.chmod(token_path, 0o600)  # an existing file keeps its mode through O_TRUNC
    return NewAccount(account, token, cert, key, token_path)


def set_scope(*, name: str, scope: Scope, actor: str) -> BankAccount | None:
    """Replace what the account serves (the businesses and transfer IDs); ``None`` if unknown. Logged
    with the scope before and after."""
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().filter(name=name).first()
        if account is None:
            return None
        before_businesses, before_ids = selectors.scope_of(account)
        account.businesses.set(scope.businesses)
        account.data_kinds.set(scope.kinds)
        record(
            action="banklink_account_scope",
            actor=actor,
            role=COMMAND_ROLE,
            object=f"bank:{name}",
            detail={**scope.detail(), "before": {"businesses": before_businesses, "transfer_ids": before_ids}},
        )
    return account


def revoke_account(*, name: str, actor: str) -> BankAccount | None:
    """Stop an account for good (its certificate and token no longer open anything); ``None`` if unknown."""
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().filter(name=name).first()
        if account is None:
            return None
        if account.active:
            account.active = False
            account.revoked_at = timezone.now()
            account.save(update_fields=["active", "revoked_at"])
            record(
                action="banklink_account_revoke",
                actor=actor,
                role=COMMAND_ROLE,
                object=f"bank:{name}",
                detail={"token_prefix": account.token_prefix},
            )
    return account


# --- authentication ------------------------------------------------------------------------------


def _token_parts(request: HttpRequest) -> tuple[str, str] | None:
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return split_token(value, TOKEN_PREFIX)


def _deny(request: HttpRequest, status: int, reason: str, ja: str, en: str, *, account: BankAccount | None) -> Refusal:
    parts = _token_parts(request)
    record(
        action="banklink_auth",
        request=request,
        actor=account.actor if account is not None else "",
        role=ROLE,
        object=_call(request),
        outcome="denied",
        detail={"reason": reason, "status": status, **({"token_prefix": parts[0]} if parts else {})},
    )
    headers = {"WWW-Authenticate": 'Bearer realm="kokin-banklink"'} if status == 401 else {}
    return Refusal(status, ja, en, headers=headers)


def authenticate(request: HttpRequest) -> BankAccount:
    """The bank account the request proves, all three: token, certificate bound to the account, address
    in its allow-list. Otherwise :class:`Refusal` (401 token, 403 the rest), logged as ``banklink_auth``."""
    parts = _token_parts(request)
    if parts is None:
        raise _deny(
            request,
            401,
            "no_token",
            "トークン (Authorization: Bearer kb_…) がありません",
            "a bearer token (kb_…) is required",
            account=None,
        )
    prefix, secret = parts
    account = BankAccount.objects.filter(token_prefix=prefix).first()
    if account is None or not hmac.compare_digest(account.token_sha256, secret_digest(secret)):
        raise _deny(request, 401, "bad_token", "トークンが正しくありません", "the token is not valid", account=None)
    if not account.active:
        raise _deny(
            request, 403, "inactive", "このアカウントは失効しています", "this account has been revoked", account=account
        )
    presented = client_cert_fingerprint(request)
    bound = account.cert_fingerprint.replace(":", "").upper()
    if not presented or not hmac.compare_digest(presented, bound):
        raise _deny(
            request,
            403,
            "certificate" if presented else "no_certificate",
            "このアカウントに登録されたクライアント証明書ではありません",
            "the client certificate is not the one bound to this account",
            account=account,
        )
    try:
        address = ipaddress.ip_address(client_ip(request))
        allowed = any(address in net for net in account.networks())
    except ValueError:
        allowed = False
    if not allowed:
        raise _deny(
            request,
            403,
            "address",
            "この接続元アドレスからの接続は許可されていません",
            "connections from this address are not allowed for this account",
            account=account,
        )
    now = timezone.now()
    if account.last_seen is None or now - account.last_seen > LAST_SEEN_RESOLUTION:
        BankAccount.objects.filter(pk=account.pk).update(last_seen=now)
        account.last_seen = now
    return account


def _log(
    action: str,
    account: BankAccount,
    request: HttpRequest | None,
    *,
    object: str,
    sha256: str = "",
    outcome: str = "success",
    **detail: Any,
) -> None:
    record(
        action=action,
        request=request,
        actor=account.actor,
        role=ROLE,
        object=object,
        sha256=sha256,
        outcome=outcome,
        detail=detail,
    )


def _transfer(
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
        duration_ms=values.pop("duration_ms", _ms(finished - started)),
        outcome=outcome,
        client_ip=client_ip(request)[:45] if request is not None else "",
        **values,
    )


def _upload_transfer(
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
    return _transfer(
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


# --- files for the bank --------------------------------------------------------------------------


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


def _out_of_scope(action: str, account: BankAccount, request: HttpRequest | None, file: ExchangeFile) -> None:
    """Log a request for a file of a mailbox the account does not serve (it is answered as not found)."""
    _log(
        action,
        account,
        request,
        object=f"file:{file.id}",
        sha256=file.sha256,
        outcome="denied",
        reason="out_of_scope",
        transfer_id=file.data_kind.transfer_id or "",
    )


def waiting_file(account: BankAccount, file_id: Any, request: HttpRequest | None = None) -> ExchangeFile:
    """An approved outbound file of a mailbox ``account`` serves that the bank has not collected yet,
    or :class:`Refusal` 404 — also for another account's file (logged as denied), so that its
    existence is not revealed."""
    try:
        found = exchange_selectors.files_for_bank().filter(pk=file_id).first()
    except (ValueError, TypeError, ValidationError):
        found = None
    if found is not None and not selectors.serves(account, found.data_kind):
        _out_of_scope("banklink_download", account, request, found)
        found = None
    if found is None:
        raise Refusal(404, "金融機関の取得待ちのファイルではありません", "no such file is waiting for the bank")
    return found


def digest_headers(sha256_hex: str) -> dict[str, str]:
    """``ETag``, ``Repr-Digest`` (RFC 9530) and ``Digest`` (RFC 3230) of the whole representation."""
    b64 = base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")
    return {"ETag": f'"{sha256_hex}"', "Repr-Digest": f"sha-256=:{b64}:", "Digest": f"SHA-256={b64}"}


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``Range`` → (first, last) inclusive (:func:`kokin.banklink.ranges.parse`); ``None`` without a
    header; :class:`Refusal` 416 with ``Content-Range: bytes */size`` for any range not served."""
    try:
        return ranges.parse(header, size)
    except ranges.Unsatisfiable as exc:
        raise Refusal(
            416,
            "範囲指定 (Range) が正しくありません",
            "the requested range cannot be served",
            headers={"Content-Range": f"bytes */{size}"},
        ) from exc


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


def log_download(account: BankAccount, file: ExchangeFile, request: HttpRequest, first: int, last: int) -> None:
    _log(
        "banklink_download",
        account,
        request,
        object=f"file:{file.id}",
        sha256=file.sha256,
        transfer_id=file.data_kind.transfer_id or "",
        range=[first, last],
        size=file.size,
    )


def acknowledge(*, account: BankAccount, file_id: Any, body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
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
    if not _HEX64.match(sha256):
        raise Refusal(400, "sha256 (16進64桁) が必要です", "sha256 (64 hex digits) is required")
    try:
        file = ExchangeFile.objects.select_related("data_kind").get(pk=file_id, direction=DataKind.Direction.OUTBOUND)
    except (ExchangeFile.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Refusal(404, "金融機関向けのファイルではありません", "no such file for the bank") from exc
    if not selectors.serves(account, file.data_kind):
        _out_of_scope("banklink_ack", account, request, file)
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
            _transfer(
                account,
                request,
                direction=Direction.TO_BANK,
                started=started,
                outcome="failed",
                file=file,
                reason="sha256_mismatch",
                **common,
            )
            _log(
                "banklink_ack",
                account,
                request,
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
        _log("banklink_ack", account, request, object=f"file:{file.id}", sha256=sha256, repeated=True)
        return {"state": State.COLLECTED.value, "file_id": str(file.id)}
    try:
        with transaction.atomic():
            exchange.mark_collected(file, account.actor, request=request)
            _transfer(
                account, request, direction=Direction.TO_BANK, started=started, outcome="collected", file=file, **common
            )
            _log("banklink_ack", account, request, object=f"file:{file.id}", sha256=sha256, bytes=size, retries=retries)
    except ExchangeError as exc:
        file.refresh_from_db()
        if file.state == State.COLLECTED:  # a concurrent ack of the same file won
            return {"state": State.COLLECTED.value, "file_id": str(file.id)}
        raise Refusal(409, exc.message_ja, exc.message_en) from exc
    return {"state": State.COLLECTED.value, "file_id": str(file.id)}


# --- files from the bank (tus) -------------------------------------------------------------------


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


def inbound_kind(transfer_id: str, account: BankAccount, request: HttpRequest | None = None) -> DataKind:
    """The inbound mailbox of ``transfer_id`` if ``account`` serves it; a mailbox it does not serve is
    answered as unknown (logged as denied), so that its existence is not revealed."""
    kind = DataKind.objects.select_related("business").filter(transfer_id=transfer_id).first()
    if kind is not None and not selectors.serves(account, kind):
        _log(
            "banklink_upload_create",
            account,
            request,
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


def create_upload(
    *, account: BankAccount, length_header: str, metadata_header: str, request: HttpRequest
) -> BankUpload:
    """tus creation, idempotent by ``bank_file_id``: the same ID and SHA-256 → that upload; another
    SHA-256 → 409."""
    if request.META.get("HTTP_UPLOAD_DEFER_LENGTH"):
        raise Refusal(400, "Upload-Defer-Length には対応していません", "Upload-Defer-Length is not supported")
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
    if not _HEX64.match(sha256):
        raise Refusal(400, "sha256 は 16進64桁です", "sha256 must be 64 hex digits")
    bank_file_id = meta["bank_file_id"].strip()[:200]
    existing = BankUpload.objects.filter(account=account, bank_file_id=bank_file_id).first()
    if existing is not None:
        return _same_upload(existing, sha256, length)
    kind = inbound_kind(meta["transfer_id"].strip(), account, request)
    limit = min(MAX_UPLOAD_BYTES, ExchangePolicy.for_business(kind.business).max_upload_bytes)
    if length > limit:
        raise Refusal(
            413,
            f"ファイルが大きすぎます (上限 {limit:,} バイト)",
            f"the file is too large (at most {limit:,} bytes)",
            headers={"Tus-Max-Size": str(limit)},
        )
    room_for(account, request, length, object=f"transfer:{kind.transfer_id or ''}", bank_file_id=bank_file_id)
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
                client_ip=client_ip(request)[:45],
            )
            _log(
                "banklink_upload_create",
                account,
                request,
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


def no_space(
    account: BankAccount, request: HttpRequest | None, *, object: str, error: BaseException | None = None, **detail: Any
) -> Refusal:
    """507 for an upload the disk has no room for (before its body, or the disk filled during it),
    logged (failure of ``banklink_upload_part``) with the shortage (:func:`kokin.exchange.space.note_shortage`)."""
    if error is not None:
        detail.update(when="body", error=space.describe(error))
    with contextlib.suppress(DatabaseError):  # a database too full for the log: see note_shortage
        _log("banklink_upload_part", account, request, object=object, outcome="failure", reason="no_space", **detail)
    space.note_shortage(reason="upload", request=request, actor=account.actor, via="banklink", object=object)
    return Refusal(507, space.MESSAGE_JA, space.MESSAGE_EN)


def room_for(account: BankAccount, request: HttpRequest | None, length: int, *, object: str, **detail: Any) -> None:
    """:func:`no_space` unless ``length`` more bytes fit on the hub's disk with the margin."""
    try:
        space.ensure_room(length)
    except space.NoSpace as exc:
        raise no_space(
            account,
            request,
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


class _Body:
    """The request body read in chunks, at most ``limit`` bytes; a cut connection ends it early."""

    def __init__(self, read: Callable[[int], bytes], limit: int) -> None:
        self.read_chunk = read
        self.left = limit
        self.received = 0
        self.cut = False

    def __iter__(self) -> Iterator[bytes]:
        while self.left > 0:
            try:
                chunk = self.read_chunk(min(CHUNK, self.left))
            except (OSError, ValueError):  # the client went away mid-body; keep what arrived
                self.cut = True
                return
            if not chunk:
                self.cut = True
                return
            self.left -= len(chunk)
            self.received += len(chunk)
            yield chunk


def _shred_parts(upload: BankUpload, reason: str) -> None:
    """Drop the upload's parts and crypto-shred their blobs — except a blob a stored file has taken
    over (an upload sent in one PATCH: its part's blob is the file's, see :func:`write_part`)."""
    parts = list(upload.parts.all())
    kept = set(ExchangeFile.objects.filter(blob_id__in=[p.blob_id for p in parts]).values_list("blob_id", flat=True))
    for part in parts:
        if part.blob_id not in kept:
            vault.shred(part.blob_id, reason=reason)
        part.delete()


def _upload_folder() -> Path:
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.HOME) / "tmp" / "uploads")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@contextmanager
def _plaintext_file() -> Iterator[tuple[BinaryIO, Path]]:
    """A 0600 file under KOKIN_HOME for the plaintext of an upload (checked from disk when it came in
    several parts; a debit result is matched against its request from it), open for unbuffered writing
    (so it can be read by its path at once); it lives only during the request and is removed in any case."""
    fd, name = tempfile.mkstemp(prefix="banklink-", suffix=".upload", dir=_upload_folder())
    path = Path(name)
    try:
        with os.fdopen(fd, "wb", buffering=0) as fh:
            yield fh, path
    finally:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Whole:
    """A whole upload received in one PATCH: the blob (a part of the upload) that holds it encrypted,
    with the SHA-256 computed and the check made while it arrived, and its plaintext in a temp file
    where a debit result needs it for matching (else ``path`` is None)."""

    path: Path | None
    sha256: str
    size: int
    blob: Blob
    #: what checking found while the bytes arrived (:mod:`kokin.exchange.intake`)
    checked: Checked


def write_part(
    *,
    account: BankAccount,
    upload: BankUpload,
    offset: int,
    content_length: int,
    read: Callable[[int], bytes],
    request: HttpRequest,
) -> BankUpload:
    """tus PATCH: the bytes at ``offset`` are encrypted into the vault as one part; the last byte
    finishes the upload (:func:`finish`).

    A PATCH that carries the whole file (offset 0 to the end, the agent's usual case) is taken in
    (:mod:`kokin.exchange.intake`): hashed, encrypted and checked while it arrives, with a plaintext copy
    in a temp file for matching a debit result against its request; its part's blob then becomes the
    stored file's blob, so the file is neither read back, decrypted nor encrypted again. Cut short, it
    is an ordinary first part and the upload resumes as any other."""
    if upload.outcome != Outcome.INCOMPLETE or upload.offset == upload.length:
        if offset == upload.length and content_length == 0:
            return finish(account=account, upload=upload, request=request)
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
    body = _Body(read, content_length)
    chunks = iter(body)
    first = next(chunks, b"")
    if not first:
        return upload

    def all_chunks() -> Iterator[bytes]:
        yield first
        yield from chunks

    if offset != 0 or content_length != upload.length:
        sealed = vault.seal(all_chunks())
        upload, _ = _record_part(account, upload, offset, sealed, body.cut, request)
        if upload.offset == upload.length:
            return finish(account=account, upload=upload, request=request)
        return upload
    # a debit result is matched against its request record by record, from a plaintext copy on disk;
    # collection data needs none
    keep_plaintext = upload.data_kind.format == "zengin-debit"
    with ExitStack() as stack:
        plain, path = stack.enter_context(_plaintext_file()) if keep_plaintext else (None, None)
        with exchange.intake_for(upload.data_kind, plaintext=plain) as intake:
            for chunk in all_chunks():
                intake.write(chunk)
            taken = intake.close()
        upload, blob = _record_part(account, upload, offset, taken.sealed, body.cut, request)
        if upload.offset != upload.length:
            return upload  # cut short: the temp file goes, the part stays and the upload resumes
        whole = _Whole(path=path, sha256=taken.sha256, size=taken.size, blob=blob, checked=taken.checked)
        return finish(account=account, upload=upload, request=request, whole=whole)


def _record_part(
    account: BankAccount, upload: BankUpload, offset: int, sealed: vault.Sealed, cut: bool, request: HttpRequest
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
            _log(
                "banklink_upload_part",
                account,
                request,
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


def _claim(upload: BankUpload) -> bool:
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
    *, account: BankAccount, upload: BankUpload, request: HttpRequest | None, whole: _Whole | None = None
) -> BankUpload:
    """The last byte is in: check the whole file's SHA-256, then validate and route it as the exchange
    does (:func:`kokin.exchange.services.place`; a debit result must match its request). Only one
    request finishes an upload; the parts are shredded afterwards either way (but for a part whose
    blob the stored file took over).

    ``whole``: the upload arrived in one PATCH (:func:`write_part`), its plaintext is on disk already
    and its one part's blob becomes the file's; otherwise the parts are decrypted in order into a temp
    file, hashing them on the way."""
    if not _claim(upload):
        upload.refresh_from_db()
        return upload
    try:
        if whole is not None:
            _settle(account, upload, request, whole.path, whole.sha256, whole.size, whole.blob, whole.checked)
        else:
            with _plaintext_file() as (fh, path):
                sha256, size = _assemble(upload, fh)
                _settle(account, upload, request, path, sha256, size, None)
    except BaseException:
        BankUpload.objects.filter(pk=upload.pk).update(finishing_since=None)
        raise
    upload.refresh_from_db()
    return upload


def _settle(
    account: BankAccount,
    upload: BankUpload,
    request: HttpRequest | None,
    path: Path | None,
    sha256: str,
    size: int,
    blob: Blob | None,
    checked: Checked | None = None,
) -> None:
    if sha256 != upload.sha256 or size != upload.length:
        _restart(account, upload, request, sha256)
        raise ChecksumRefusal(
            460,
            "ファイル全体の SHA-256 が申告と一致しません。最初から送り直してください",
            "the SHA-256 of the whole file does not match the announced one; send it again from the start",
            headers={"Upload-Offset": "0"},
        )
    received = exchange.Received(path=path, name=upload.filename, size=size, sha256=sha256)
    placed = exchange.place(
        data_kind=upload.data_kind,
        received=received,
        actor=account.actor,
        request=request,
        require_request=upload.data_kind.format == "zengin-debit",
        blob=blob,
        checked=checked,
    )
    _close(account, upload, request, placed)


def _restart(account: BankAccount, upload: BankUpload, request: HttpRequest | None, actual: str) -> None:
    with transaction.atomic():
        locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
        _shred_parts(locked, "banklink: the whole file's SHA-256 did not match")
        locked.offset = 0
        locked.retries += 1
        locked.finishing_since = None
        locked.updated = timezone.now()
        locked.reason = "sha256_mismatch"
        locked.save(update_fields=["offset", "retries", "finishing_since", "updated", "reason"])
        _upload_transfer(
            account,
            request,
            locked,
            outcome="failed",
            size=locked.length,
            sha256=actual,
            reason="SHA-256 がアップロード開始時の申告と一致しません / SHA-256 mismatch",
        )
        _log(
            "banklink_upload_finish",
            account,
            request,
            object=f"upload:{locked.id}",
            sha256=actual,
            outcome="failure",
            reason="sha256_mismatch",
            expected=locked.sha256,
        )


def _reason(placed: exchange.Outcome) -> str:
    if placed.file is not None:
        return ""
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


def _close(account: BankAccount, upload: BankUpload, request: HttpRequest | None, placed: exchange.Outcome) -> None:
    now = timezone.now()
    stored = placed.file is not None
    reason = _reason(placed)
    with transaction.atomic():
        locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
        _shred_parts(locked, "banklink: the upload is finished")
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
        _upload_transfer(
            account,
            request,
            locked,
            outcome=locked.outcome,
            size=locked.length,
            sha256=locked.sha256,
            reason=reason,
            file=placed.file,
        )
        _log(
            "banklink_upload_finish",
            account,
            request,
            object=f"upload:{locked.id}",
            sha256=locked.sha256,
            outcome="success" if stored else "failure",
            result=locked.outcome,
            file=str(placed.file.id) if placed.file is not None else None,
            reason=reason,
            errors=placed.checked.report.error_count,
        )


def finish_if_due(account: BankAccount, upload: BankUpload, request: HttpRequest | None) -> BankUpload:
    """An upload whose last byte arrived but whose finishing died with its server is finished now."""
    if upload.outcome == Outcome.INCOMPLETE and upload.offset == upload.length:
        try:
            return finish(account=account, upload=upload, request=request)
        except ChecksumRefusal:
            upload.refresh_from_db()
    return upload


def delete_upload(*, account: BankAccount, upload: BankUpload, request: HttpRequest) -> None:
    """tus termination: an unfinished upload is dropped with its parts; a finished one stays."""
    with transaction.atomic():
        locked = BankUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.outcome != Outcome.INCOMPLETE:
            raise Refusal(409, "完了したアップロードは取り消せません", "a finished upload cannot be terminated")
        _shred_parts(locked, "banklink: the upload was terminated")
        _upload_transfer(
            account,
            request,
            locked,
            outcome="cancelled",
            size=locked.offset,
            sha256=locked.sha256,
            reason="金融機関による取消し / terminated by the bank",
        )
        _log(
            "banklink_upload_delete",
            account,
            request,
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


def history(*, limit: int = 50) -> list[BankTransfer]:
    return list(BankTransfer.objects.select_related("account").order_by("-finished", "-pk")[:limit])
