"""Sealing: a body of any size encrypted into a new blob in constant memory, hashed on the way —
pushed in pieces (:class:`Sealer`) or read from a stream (:func:`seal`), the row written with the
body (:func:`store`) or later in the caller's transaction (:meth:`Sealed.save`)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO
from uuid import UUID

import tink
from django.db import transaction
from tink import streaming_aead

from kokin.audit.actor import Actor
from kokin.vault._oplog import log_operation
from kokin.vault.crypto import DATA_KEY_TEMPLATE, SCHEME, associated_data, wrap_data_key
from kokin.vault.errors import ChecksumMismatch
from kokin.vault.keys import get_provider
from kokin.vault.models import Blob
from kokin.vault.stores import BlobStore, BlobWriter, get_store

#: how much of the incoming stream is read at a time (the encryptor holds one 1 MiB segment)
READ_SIZE = 256 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


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

    def save(self, *, actor: Actor | None = None) -> Blob:
        """Write the blob's row and its log entry (one transaction, or the caller's); no entry without
        an ``actor``."""
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
            log_operation(
                action="vault_store",
                actor=actor,
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
        actor: Actor | None = None,
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
        self.actor = actor
        self.id = uuid.uuid4()
        master = get_provider().current()
        handle = tink.new_keyset_handle(DATA_KEY_TEMPLATE)
        self.master_key_id = master.key_id
        self.wrapped = wrap_data_key(handle, master, self.id)
        self.target: BlobStore = get_store(backend)
        self.writer = self.target.create(self.id)
        #: None when the caller hashes the same pieces itself and gives the digest to :meth:`close`
        self.hasher = None if hashed_by_caller else hashlib.sha256()
        self.size = 0
        primitive = handle.primitive(streaming_aead.StreamingAead)
        try:
            self.encrypting = primitive.new_encrypting_stream(_Sink(self.writer), associated_data(self.id))
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
                log_operation(
                    action="vault_store",
                    actor=self.actor,
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
    actor: Actor | None = None,
    backend: str | None = None,
) -> Sealed:
    """Encrypt ``stream`` into a new body (see :func:`store`) and commit the body only; the row is
    written by :meth:`Sealed.save`. Nothing is kept on a SHA-256 mismatch or any failure."""
    sealer = Sealer(expected_sha256=expected_sha256, actor=actor, backend=backend)
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
    actor: Actor | None = None,
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
    sealed = seal(stream, expected_sha256=expected_sha256, actor=actor, backend=backend)
    try:
        return sealed.save(actor=actor)
    except BaseException:
        sealed.discard()
        raise
