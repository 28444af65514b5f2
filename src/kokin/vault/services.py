"""The vault: encryption at rest for every file the hub keeps (別紙3 第8条), with crypto-shredding.

Key hierarchy (envelope encryption, as in Tink's KMS envelope AEAD):

* every file gets its own **data key**, a fresh Tink streaming-AEAD keyset
  (``AES256_GCM_HKDF_1MB``: AES-256-GCM in 1 MiB segments, per-file key derived with HKDF-SHA256
  from the keyset and a random salt, each segment authenticated on its own and the last one marked,
  so reordered, dropped, truncated or altered segments are refused);
* the data key is serialized and **wrapped** by the **master key** (a Tink AES256_GCM keyset outside
  the database, :mod:`kokin.vault.keys`) with the blob id as associated data, and only the wrapped
  form is kept, in the :class:`~kokin.vault.models.Blob` row;
* the body is encrypted with the blob id as associated data too, so neither a body nor a wrapped key
  can be moved to another blob.

Every function writes its operation-log entry where an operator (``request``/``actor``) is involved;
shredding and master-key rotation are always logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

import tink
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from tink import secret_key_access, streaming_aead

from kokin import malloc
from kokin.audit.services import record
from kokin.vault.errors import BlobShredded, ChecksumMismatch, MasterKeyError, TamperedBlob, VaultError
from kokin.vault.keys import KeyInfo, MasterKey, MasterKeyProvider, get_provider
from kokin.vault.models import Blob
from kokin.vault.stores import STORES, BlobStore, BlobWriter, get_store

streaming_aead.register()

log = logging.getLogger(__name__)

#: the encryption of bodies written now (recorded per blob)
SCHEME = "tink-aes256-gcm-hkdf-1mb"
DATA_KEY_TEMPLATE = streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB
#: a reader that decrypted at least this much hands the freed heap back when closed (:func:`kokin.malloc.trim`)
TRIM_AFTER = 8 * 1024 * 1024
#: how much of the incoming stream is read at a time (the encryptor holds one 1 MiB segment)
READ_SIZE = 256 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _associated_data(blob_id: UUID) -> bytes:
    return str(blob_id).encode("ascii")


def _log(
    *,
    action: str,
    request: HttpRequest | None,
    actor: Any,
    role: str,
    blob_id: UUID | str,
    sha256: str = "",
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    always: bool = False,
) -> None:
    if request is None and actor is None and not always:
        return
    record(
        action=action,
        request=request,
        actor=actor if actor is not None or request is not None else "system",
        role=role,
        object=f"blob:{blob_id}" if blob_id else "vault",
        sha256=sha256,
        outcome=outcome,
        detail=detail,
    )


# --- data keys ---------------------------------------------------------------------------------


def _wrap(handle: tink.KeysetHandle, master: MasterKey, blob_id: UUID) -> bytes:
    from tink import proto_keyset_format

    clear = proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    return master.wrap(clear, _associated_data(blob_id))


def _unwrap(blob: Blob, provider: MasterKeyProvider) -> tink.KeysetHandle:
    """The blob's data keyset; :class:`TamperedBlob` if the wrapped key was altered."""
    from tink import proto_keyset_format

    if blob.shredded_at is not None or not blob.wrapped_key:
        raise BlobShredded(
            blob.id, f"{timezone.localtime(blob.shredded_at):%Y-%m-%d %H:%M}" if blob.shredded_at else ""
        )
    master = provider.get(blob.master_key_id)
    try:
        clear = master.unwrap(bytes(blob.wrapped_key), _associated_data(blob.id))
        return proto_keyset_format.parse(clear, secret_key_access.TOKEN)
    except MasterKeyError:
        raise
    except Exception as exc:  # any failure to unwrap or parse: the wrapped key is not what was written
        raise TamperedBlob(
            blob.id,
            f"データ鍵 (マスター鍵 {blob.master_key_id} で暗号化) を復号できません",
            f"its wrapped data key (under master key {blob.master_key_id}) does not decrypt",
        ) from exc


# --- store -------------------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """What Tink's encrypting stream writes to: forwards to the store's writer. Closing it (Tink
    does, when the stream ends) does not commit; :func:`store` decides that."""

    def __init__(self, writer: BlobWriter) -> None:
        super().__init__()
        self.writer = writer
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        # Tink hands over a view of its segment buffer: written (or copied by the store) before returning,
        # so no copy is made here
        size = len(data)
        self.writer.write(data)
        self.written += size
        return size


def _chunks(stream: BinaryIO | Iterable[bytes]) -> Iterable[bytes]:
    read = getattr(stream, "read", None)
    if read is not None:
        while True:
            chunk = read(READ_SIZE)
            if not chunk:
                return
            yield chunk
    else:
        for chunk in stream:
            if chunk:
                yield chunk


@dataclass
class Sealed:
    """An encrypted body written and committed under its blob id, whose :class:`Blob` row is not
    written yet (:func:`seal`). :meth:`save` writes the row (inside the caller's transaction, so a
    caller can commit it together with its own row); :meth:`discard` removes the body. A body whose
    row never comes (the process died) has no row and is removed by :func:`sweep`."""

    id: UUID
    size: int
    sha256: str
    wrapped_key: bytes
    master_key_id: str
    backend: str

    def save(self, *, request: HttpRequest | None = None, actor: Any = None, role: str = "") -> Blob:
        """Write the blob's row and its log entry (one transaction, or the caller's)."""
        with transaction.atomic():
            blob = Blob.objects.create(
                id=self.id,
                size=self.size,
                sha256=self.sha256,
                wrapped_key=self.wrapped_key,
                master_key_id=self.master_key_id,
                scheme=SCHEME,
                backend=self.backend,
            )
            _log(
                action="vault_store",
                request=request,
                actor=actor,
                role=role,
                blob_id=self.id,
                sha256=self.sha256,
                detail={"size": self.size, "backend": self.backend},
            )
        return blob

    def discard(self) -> None:
        """Remove the body (the row was not written, or its transaction rolled back)."""
        get_store(self.backend).delete(self.id)


class Sealer:
    """Encrypt a body pushed in pieces (:meth:`write`) into a new blob body, hashing it on the way:
    the push form of :func:`seal`, for a body that arrives from a socket. :meth:`close` commits the
    body and returns the :class:`Sealed` (its row is written by :meth:`Sealed.save`); :meth:`abort`
    removes it. Nothing is kept on a SHA-256 mismatch or any failure."""

    def __init__(
        self,
        *,
        expected_sha256: str | None = None,
        request: HttpRequest | None = None,
        actor: Any = None,
        role: str = "",
        backend: str | None = None,
        hashed_by_caller: bool = False,
    ) -> None:
        if expected_sha256 is not None:
            expected_sha256 = expected_sha256.strip().lower()
            if not _HEX64.match(expected_sha256):
                raise ValueError(
                    f"SHA-256 の形式が正しくありません: {expected_sha256!r} / "
                    f"not a SHA-256 hex digest: {expected_sha256!r}"
                )
        self.expected_sha256 = expected_sha256
        self.request, self.actor, self.role = request, actor, role
        self.id = uuid.uuid4()
        master = get_provider().current()
        handle = tink.new_keyset_handle(DATA_KEY_TEMPLATE)
        self.master_key_id = master.key_id
        self.wrapped = _wrap(handle, master, self.id)
        self.target: BlobStore = get_store(backend)
        self.writer = self.target.create(self.id)
        #: None when the caller hashes the same pieces itself and gives the digest to :meth:`close`
        self.hasher = None if hashed_by_caller else hashlib.sha256()
        self.size = 0
        primitive = handle.primitive(streaming_aead.StreamingAead)
        try:
            self.encrypting = primitive.new_encrypting_stream(_Sink(self.writer), _associated_data(self.id))
        except BaseException:
            self.writer.abort()
            raise
        self.done = False

    def write(self, chunk: bytes) -> None:
        """Hash and encrypt the next piece of the body."""
        try:
            if self.hasher is not None:
                self.hasher.update(chunk)
            self.size += len(chunk)
            self.encrypting.write(chunk)
        except BaseException:
            self.abort()
            raise

    def close(self, *, sha256: str | None = None) -> Sealed:
        """The body is complete: check its SHA-256 (if one was expected) and commit it. ``sha256``: the
        digest of the pieces written, from a caller that hashed them itself (``hashed_by_caller``)."""
        try:
            self.encrypting.close()
            if self.hasher is not None:
                digest = self.hasher.hexdigest()
            elif sha256 is not None and _HEX64.match(sha256):
                digest = sha256
            else:
                raise ValueError("a sealer whose caller hashes the pieces needs their SHA-256 at close")
            if self.expected_sha256 is not None and digest != self.expected_sha256:
                raise ChecksumMismatch(self.expected_sha256, digest)
            self.writer.commit()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, ChecksumMismatch):
                _log(
                    action="vault_store",
                    request=self.request,
                    actor=self.actor,
                    role=self.role,
                    blob_id="",
                    sha256=exc.actual,
                    outcome="failure",
                    detail={"reason": "sha256_mismatch", "expected": exc.expected, "size": self.size},
                )
            raise
        self.done = True
        return Sealed(
            id=self.id,
            size=self.size,
            sha256=digest,
            wrapped_key=self.wrapped,
            master_key_id=self.master_key_id,
            backend=self.target.name,
        )

    def abort(self) -> None:
        """Drop the body written so far (safe to call more than once)."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(Exception):  # the body is thrown away: a failing close changes nothing
            self.encrypting.close()
        self.writer.abort()


def seal(
    stream: BinaryIO | Iterable[bytes],
    *,
    expected_sha256: str | None = None,
    request: HttpRequest | None = None,
    actor: Any = None,
    role: str = "",
    backend: str | None = None,
) -> Sealed:
    """Encrypt ``stream`` into a new body (see :func:`store`) and commit the body only; the row is
    written by :meth:`Sealed.save`. Nothing is kept on a SHA-256 mismatch or any failure."""
    sealer = Sealer(expected_sha256=expected_sha256, request=request, actor=actor, role=role, backend=backend)
    try:
        for chunk in _chunks(stream):
            sealer.write(chunk)
    except BaseException:
        sealer.abort()
        raise
    return sealer.close()


def store(
    stream: BinaryIO | Iterable[bytes],
    *,
    expected_sha256: str | None = None,
    request: HttpRequest | None = None,
    actor: Any = None,
    role: str = "",
    backend: str | None = None,
) -> Blob:
    """Encrypt and keep a file of any size, read from ``stream`` (a binary file object, read
    :data:`READ_SIZE` bytes at a time, or an iterable of ``bytes``) in constant memory.

    The SHA-256 of the plaintext is computed on the way. With ``expected_sha256`` a different file
    is refused with :class:`ChecksumMismatch` and nothing is kept. The body becomes visible under
    its id only when complete (atomic rename / chunks with no row until the row is committed), and
    the row and its log entry are committed together. A caller that must commit the blob's row
    together with its own uses :func:`seal` and :meth:`Sealed.save` instead.
    """
    sealed = seal(stream, expected_sha256=expected_sha256, request=request, actor=actor, role=role, backend=backend)
    try:
        return sealed.save(request=request, actor=actor, role=role)
    except BaseException:
        sealed.discard()
        raise


# --- read --------------------------------------------------------------------------------------


class BlobReader(io.RawIOBase):
    """The plaintext of a blob, decrypted as it is read.

    Tink releases each 1 MiB segment only after its tag checks, and refuses a truncated or reordered
    body; at the end the size and SHA-256 of everything read are compared with the blob row. Any
    failure raises :class:`TamperedBlob` — the reader never returns bytes that were not stored.
    """

    def __init__(self, blob: Blob, inner: BinaryIO) -> None:
        super().__init__()
        self.blob_id = blob.id
        self.size = blob.size
        self.sha256 = blob.sha256
        self._inner = inner
        self._hash = hashlib.sha256()
        self._read = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _fail(self, reason_ja: str, reason_en: str) -> TamperedBlob:
        self._done = True
        return TamperedBlob(self.blob_id, reason_ja, reason_en)

    def _next(self, want: int) -> bytes:
        """Up to ``want`` authenticated bytes, counted and hashed; ``b""`` at the (checked) end."""
        if self.closed:
            raise ValueError("read from a closed blob reader")
        if self._done or want == 0:
            return b""
        try:
            data: bytes = self._inner.read(want)
        except (tink.TinkError, ValueError, OSError) as exc:
            raise self._fail(
                f"暗号文の認証に失敗しました ({self._read:,} バイト目以降)",
                f"authentication of the ciphertext failed after byte {self._read:,}",
            ) from exc
        if not data:
            self._finish()
            return b""
        self._read += len(data)
        if self._read > self.size:
            raise self._fail("記録より長い内容です", "it is longer than recorded")
        self._hash.update(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self._next(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        """Like :meth:`io.RawIOBase.read`, without copying each piece through a buffer twice (a
        download streams 1 MiB pieces straight from the decryption)."""
        if size is None or size < 0:
            return self.readall()
        return self._next(size)

    def readall(self) -> bytes:
        parts = []
        while data := self._next(1 << 20):
            parts.append(data)
        return b"".join(parts)

    def _finish(self) -> None:
        self._done = True
        if self._read != self.size:
            raise TamperedBlob(
                self.blob_id,
                f"長さが記録と異なります (記録 {self.size:,}、読み出し {self._read:,} バイト)",
                f"its length differs from the record ({self.size:,} recorded, {self._read:,} read)",
            )
        if self._hash.hexdigest() != self.sha256:
            raise TamperedBlob(self.blob_id, "SHA-256 が記録と一致しません", "its SHA-256 does not match the record")

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                super().close()
                if self._read >= TRIM_AFTER:
                    malloc.trim()  # the decryption's freed buffers, kept by glibc, go back to the system


def _row(blob: Blob | UUID | str) -> Blob:
    pk = blob.pk if isinstance(blob, Blob) else blob
    return Blob.objects.get(pk=pk)


def open_blob(
    blob: Blob | UUID | str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    role: str = "",
) -> BlobReader:
    """A reader of the blob's plaintext (use it as a context manager, read in chunks).

    The row is read afresh (a shred or a rotation by another process counts). Raises
    :class:`BlobShredded` for an erased blob and :class:`TamperedBlob` for a damaged one — at
    once for a bad wrapped key or a missing body, while reading for a bad body.
    """
    row = _row(blob)
    if row.scheme != SCHEME:
        raise VaultError(
            f"保管ファイル {row.id} の暗号方式 {row.scheme!r} はこの版では読めません",
            f"stored file {row.id} uses the encryption scheme {row.scheme!r}, unknown to this version",
        )
    handle = _unwrap(row, get_provider())
    primitive = handle.primitive(streaming_aead.StreamingAead)
    try:
        source = get_store(row.backend).open(row.id)
    except FileNotFoundError as exc:
        raise TamperedBlob(row.id, "暗号化された本体が見つかりません", "its encrypted body is missing") from exc
    try:
        inner = primitive.new_decrypting_stream(source, _associated_data(row.id))
    except (tink.TinkError, ValueError) as exc:
        source.close()
        raise TamperedBlob(row.id, "暗号文の先頭が壊れています", "the header of its ciphertext is damaged") from exc
    _log(
        action="vault_open",
        request=request,
        actor=actor,
        role=role,
        blob_id=row.id,
        sha256=row.sha256,
        detail={"size": row.size},
    )
    return BlobReader(row, inner)


def read_all(blob: Blob | UUID | str) -> bytes:
    """The whole plaintext, for small files and tests only."""
    with open_blob(blob) as reader:
        return reader.read()


# --- shred -------------------------------------------------------------------------------------


def shred(
    blob: Blob | UUID | str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    role: str = "",
    reason: str = "",
) -> Blob:
    """Crypto-shredding: the wrapped data key is overwritten (and ``shredded_at`` set) in one
    transaction with the log entry; then the body is deleted (after the commit, if called inside a
    transaction). Without the data key the body is noise even where copies of it survive (backups).

    Idempotent: shredding a shredded blob only retries deleting its body.
    """
    pk = blob.pk if isinstance(blob, Blob) else blob
    with transaction.atomic():
        row = Blob.objects.select_for_update().get(pk=pk)
        if row.shredded_at is None:
            row.wrapped_key = b""
            row.shredded_at = timezone.now()
            row.save(update_fields=["wrapped_key", "shredded_at"])
            _log(
                action="vault_shred",
                request=request,
                actor=actor,
                role=role,
                blob_id=row.id,
                sha256=row.sha256,
                detail={"method": "crypto-shredding", "backend": row.backend, "reason": reason[:200]},
                always=True,
            )
        backend, blob_id = row.backend, row.id

        def delete_body() -> None:
            get_store(backend).delete(blob_id)

        transaction.on_commit(delete_body, robust=True)
    return row


# --- master key rotation -----------------------------------------------------------------------


@dataclass
class Rotation:
    """What :func:`rotate_master_key` did."""

    new_key_id: str
    rewrapped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    #: keys no data key needs any more that the operator has to remove (environment keys)
    to_remove: list[str] = field(default_factory=list)
    #: keys still needed (a failed re-wrap, or a file stored under the old key during the rotation)
    kept: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def rotate_master_key(*, request: HttpRequest | None = None, actor: Any = None, role: str = "") -> Rotation:
    """Make a new master key current and re-wrap every data key under it; bodies are not touched.

    An old key is retired (moved to ``keys/retired/``) only once no live blob needs it; a key still
    needed is kept and reported, and running the rotation again finishes the job. Idempotent and
    safe to interrupt: each blob is re-wrapped in its own transaction.
    """
    provider = get_provider()
    new = provider.create() if provider.can_create else provider.current()
    result = Rotation(new_key_id=new.key_id)
    pending = Blob.objects.filter(shredded_at__isnull=True).exclude(master_key_id=new.key_id)
    for pk in list(pending.values_list("id", flat=True).iterator(chunk_size=2000)):
        try:
            with transaction.atomic():
                row = Blob.objects.select_for_update().get(pk=pk)
                if row.shredded_at is not None or row.master_key_id == new.key_id:
                    continue
                old = provider.get(row.master_key_id)
                ad = _associated_data(row.id)
                try:
                    clear = old.unwrap(bytes(row.wrapped_key), ad)
                except MasterKeyError:
                    raise
                except Exception as exc:
                    raise TamperedBlob(
                        row.id, "データ鍵を復号できません", "its wrapped data key does not decrypt"
                    ) from exc
                row.wrapped_key = new.wrap(clear, ad)
                row.master_key_id = new.key_id
                row.save(update_fields=["wrapped_key", "master_key_id"])
            result.rewrapped += 1
        except (VaultError, Blob.DoesNotExist) as exc:
            if not isinstance(exc, Blob.DoesNotExist):
                result.failed.append((str(pk), str(exc)))
                log.error("re-wrap of blob %s failed: %s", pk, exc)
    in_use = set(Blob.objects.filter(shredded_at__isnull=True).values_list("master_key_id", flat=True).distinct())
    for info in provider.list_keys():
        if info.key_id == new.key_id or info.state == "retired":
            continue
        if info.key_id in in_use:
            result.kept.append(info.key_id)
        elif provider.retire(info.key_id):
            result.retired.append(info.key_id)
        else:
            result.to_remove.append(info.key_id)
    _log(
        action="keys_rotate",
        request=request,
        actor=actor,
        role=role,
        blob_id="",
        outcome="success" if result.ok else "failure",
        detail={
            "provider": provider.name,
            "new_key": new.key_id,
            "rewrapped": result.rewrapped,
            "failed": len(result.failed),
            "retired": result.retired,
            "to_remove": result.to_remove,
            "kept": result.kept,
        },
        always=True,
    )
    return result


def destroy_retired_key(key_id: str, *, request: HttpRequest | None = None, actor: Any = None, role: str = "") -> None:
    """Destroy a retired master key for good, so that wrapped data keys left in old database
    backups (or shredded rows still in free pages) can never be unwrapped. Refused while a live
    blob still needs it. Database backups older than its retirement become unreadable."""
    if Blob.objects.filter(shredded_at__isnull=True, master_key_id=key_id).exists():
        raise MasterKeyError(
            f"マスター鍵 {key_id} はまだ使われています (先に kokin keys rotate を実行してください)",
            f"master key {key_id} is still in use (run kokin keys rotate first)",
        )
    provider = get_provider()
    provider.destroy(key_id)
    _log(
        action="keys_destroy",
        request=request,
        actor=actor,
        role=role,
        blob_id="",
        detail={"provider": provider.name, "key": key_id},
        always=True,
    )


@dataclass
class KeyStatus:
    provider: str
    store: str
    scheme: str
    keys: list[tuple[KeyInfo, int]]
    blobs: int
    shredded: int
    #: live blobs wrapped by a key that is not the current one (a rotation to finish)
    not_current: int


def key_status() -> KeyStatus:
    """The master keys (never their material), how many live blobs each wraps, and the totals."""
    provider = get_provider()
    current = provider.current()
    counts = dict(
        Blob.objects.filter(shredded_at__isnull=True)
        .values_list("master_key_id")
        .annotate(n=Count("id"))
        .values_list("master_key_id", "n")
    )
    totals = Blob.objects.aggregate(blobs=Count("id"), shredded=Count("id", filter=Q(shredded_at__isnull=False)))
    infos = provider.list_keys()
    known = {info.key_id for info in infos}
    rows = [(info, counts.get(info.key_id, 0)) for info in infos]
    rows += [
        (KeyInfo(key_id, "missing", "?", "not found: restore it"), n)
        for key_id, n in counts.items()
        if key_id not in known
    ]
    return KeyStatus(
        provider=provider.name,
        store=get_store().name,
        scheme=SCHEME,
        keys=rows,
        blobs=totals["blobs"],
        shredded=totals["shredded"],
        not_current=sum(n for key_id, n in counts.items() if key_id != current.key_id),
    )


# --- sweep -------------------------------------------------------------------------------------


def sweep(*, older_than: timedelta = timedelta(hours=6)) -> int:
    """Remove what a crash or a failed shred left behind: abandoned partial writes, bodies with no
    blob row and export packages older than ``older_than``, and bodies of shredded blobs. Returns
    how many."""
    cutoff = timezone.now() - older_than
    removed = 0
    exports = Path(settings.HOME) / "tmp" / "exports"
    if exports.is_dir():
        for path in exports.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                removed += 1
    for name in STORES:
        target = get_store(name)
        removed += target.remove_partials(cutoff)
        batch: list[tuple[UUID, Any]] = []

        def flush(items: list[tuple[UUID, Any]], target: BlobStore = target) -> int:
            rows = dict(Blob.objects.filter(pk__in=[i for i, _ in items]).values_list("id", "shredded_at"))
            gone = 0
            for blob_id, when in items:
                orphan = blob_id not in rows and when < cutoff
                if (orphan or (blob_id in rows and rows[blob_id] is not None)) and target.delete(blob_id):
                    gone += 1
            return gone

        for entry in target.entries():
            batch.append(entry)
            if len(batch) >= 500:
                removed += flush(batch)
                batch = []
        if batch:
            removed += flush(batch)
    return removed
