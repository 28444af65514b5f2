"""Reading: a blob's plaintext, decrypted and checked as it is read (:func:`open_blob`,
:class:`BlobReader`); it never returns bytes that were not stored."""

from __future__ import annotations

import hashlib
import io
from typing import Any, BinaryIO
from uuid import UUID

import tink
from tink import streaming_aead

from kokin import malloc
from kokin.audit.actor import Actor
from kokin.vault._oplog import log_operation
from kokin.vault.crypto import SCHEME, associated_data, unwrap_data_key
from kokin.vault.errors import TamperedBlob, VaultError
from kokin.vault.keys import get_provider
from kokin.vault.models import Blob
from kokin.vault.stores import get_store

#: a reader that decrypted at least this much hands the freed heap back when closed (:func:`kokin.malloc.trim`)
TRIM_AFTER = 8 * 1024 * 1024


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
    actor: Actor | None = None,
) -> BlobReader:
    """A reader of the blob's plaintext (use it as a context manager, read in chunks); logged when an
    ``actor`` is given.

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
    handle = unwrap_data_key(row, get_provider())
    primitive = handle.primitive(streaming_aead.StreamingAead)
    try:
        source = get_store(row.backend).open(row.id)
    except FileNotFoundError as exc:
        raise TamperedBlob(row.id, "暗号化された本体が見つかりません", "its encrypted body is missing") from exc
    try:
        inner = primitive.new_decrypting_stream(source, associated_data(row.id))
    except (tink.TinkError, ValueError) as exc:
        source.close()
        raise TamperedBlob(row.id, "暗号文の先頭が壊れています", "the header of its ciphertext is damaged") from exc
    log_operation(
        action="vault_open",
        actor=actor,
        blob_id=row.id,
        sha256=row.sha256,
        detail={"size": row.size},
    )
    return BlobReader(row, inner)


def read_all(blob: Blob | UUID | str) -> bytes:
    """The whole plaintext, for small files and tests only."""
    with open_blob(blob) as reader:
        return reader.read()
