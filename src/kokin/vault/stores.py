"""Where encrypted bodies live: a :class:`BlobStore` holds ciphertext only, by blob id.

* :class:`LocalDirStore` (``local``, the default): ``KOKIN_HOME/blobs/<2 hex>/<uuid>``, each written
  to a temporary file in the same folder, fsynced, then renamed — a crash leaves no half body under
  a blob's name, only a ``.part`` file that :func:`kokin.vault.shredding.sweep` removes.
* :class:`DatabaseStore` (``database``): 1 MiB chunks in the ``vault_blobchunk`` table, so several app
  servers sharing one PostgreSQL see the same files.

``settings.VAULT_BLOB_STORE`` (env ``KOKIN_BLOB_STORE``) chooses where *new* bodies go; each blob
records its store, so existing files stay readable after a change.
"""

from __future__ import annotations

import io
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, ClassVar
from uuid import UUID

from django.conf import settings
from django.db.models import Max

from kokin.formats.files import fsync_dir
from kokin.vault.models import BlobChunk

#: the size of a chunk in the database store
DB_CHUNK = 1 << 20


class BlobWriter(ABC):
    """A body being written: bytes go in with :meth:`write`; :meth:`commit` makes it visible under
    its id, :meth:`abort` removes every trace."""

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...


class BlobStore(ABC):
    """A place for encrypted bodies. Implementations store opaque bytes and know nothing of keys."""

    name: ClassVar[str]

    @abstractmethod
    def create(self, blob_id: UUID) -> BlobWriter:
        """A writer for a new body."""

    @abstractmethod
    def open(self, blob_id: UUID) -> BinaryIO:
        """The body for reading; :class:`FileNotFoundError` if there is none."""

    @abstractmethod
    def delete(self, blob_id: UUID) -> bool:
        """Remove the body; True if there was one."""

    @abstractmethod
    def entries(self) -> Iterator[tuple[UUID, datetime]]:
        """Every committed body (or, for the database, every body with chunks) and when it was last
        written — for the orphan sweep."""

    def remove_partials(self, before: datetime) -> int:
        """Remove writes abandoned before ``before`` (crashed uploads); how many."""
        return 0


# --- local folder ------------------------------------------------------------------------------


class _LocalWriter(BlobWriter):
    def __init__(self, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.final = final
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)  # mode 0600
        self.tmp = Path(tmp)
        self.fh: BinaryIO = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> None:
        try:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.replace(self.tmp, self.final)
            fsync_dir(self.final.parent)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        try:
            self.fh.close()  # on a full disk, flushing what is buffered fails again: the file goes anyway
        except OSError:
            pass
        finally:
            self.tmp.unlink(missing_ok=True)


class LocalDirStore(BlobStore):
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, blob_id: UUID) -> Path:
        text = str(UUID(str(blob_id)))  # only ever a canonical UUID as a file name
        return self.root / text[:2] / text

    def create(self, blob_id: UUID) -> BlobWriter:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return _LocalWriter(self.path(blob_id))

    def open(self, blob_id: UUID) -> BinaryIO:
        return open(self.path(blob_id), "rb")  # the caller closes it

    def delete(self, blob_id: UUID) -> bool:
        path = self.path(blob_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                yield from sorted(folder.iterdir())

    def entries(self) -> Iterator[tuple[UUID, datetime]]:
        for path in self._files():
            if path.name.startswith("."):
                continue
            try:
                blob_id = UUID(path.name)
            except ValueError:
                continue
            yield blob_id, datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def remove_partials(self, before: datetime) -> int:
        removed = 0
        for path in self._files():
            partial = path.name.startswith(".") and path.name.endswith(".part")
            if partial and datetime.fromtimestamp(path.stat().st_mtime, UTC) < before:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


# --- database ----------------------------------------------------------------------------------


class _DatabaseWriter(BlobWriter):
    def __init__(self, blob_id: UUID) -> None:
        self.blob_id = blob_id
        self.buffer = bytearray()
        self.seq = 0

    def _put(self, data: bytes) -> None:
        BlobChunk.objects.create(blob_id=self.blob_id, seq=self.seq, data=data)
        self.seq += 1

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= DB_CHUNK:
            self._put(bytes(self.buffer[:DB_CHUNK]))
            del self.buffer[:DB_CHUNK]

    def commit(self) -> None:
        try:
            if self.buffer or self.seq == 0:
                self._put(bytes(self.buffer))
                self.buffer.clear()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        self.buffer.clear()
        BlobChunk.objects.filter(blob_id=self.blob_id).delete()


class _DatabaseReader(io.RawIOBase):
    """Reads a body chunk by chunk (one chunk in memory at a time); a missing chunk ends it early,
    which the decryption reports as truncation."""

    def __init__(self, blob_id: UUID) -> None:
        super().__init__()
        self.blob_id = blob_id
        self.seq = 0
        self.current = memoryview(b"")
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self.current and not self.eof:
            row = BlobChunk.objects.filter(blob_id=self.blob_id, seq=self.seq).values_list("data", flat=True).first()
            if row is None:
                self.eof = True
            else:
                self.current = memoryview(bytes(row))
                self.seq += 1
        if not self.current:
            return 0
        n = min(len(buffer), len(self.current))
        buffer[:n] = self.current[:n]
        self.current = self.current[n:]
        return n


class DatabaseStore(BlobStore):
    name = "database"

    def create(self, blob_id: UUID) -> BlobWriter:
        return _DatabaseWriter(blob_id)

    def open(self, blob_id: UUID) -> BinaryIO:
        if not BlobChunk.objects.filter(blob_id=blob_id, seq=0).exists():
            raise FileNotFoundError(f"no body for blob {blob_id}")
        return io.BufferedReader(_DatabaseReader(blob_id), buffer_size=DB_CHUNK)

    def delete(self, blob_id: UUID) -> bool:
        deleted, _ = BlobChunk.objects.filter(blob_id=blob_id).delete()
        return deleted > 0

    def entries(self) -> Iterator[tuple[UUID, datetime]]:
        rows = BlobChunk.objects.values("blob_id").annotate(last=Max("created_at")).order_by("blob_id")
        for row in rows.iterator(chunk_size=2000):
            yield row["blob_id"], row["last"]


# --- choosing ----------------------------------------------------------------------------------

STORES: dict[str, type[BlobStore]] = {"local": LocalDirStore, "database": DatabaseStore}


def get_store(name: str | None = None) -> BlobStore:
    """The store called ``name``, or the one new bodies go to (``settings.VAULT_BLOB_STORE``)."""
    name = name or settings.VAULT_BLOB_STORE
    if name == "local":
        return LocalDirStore(Path(settings.HOME) / "blobs")
    if name == "database":
        return DatabaseStore()
    raise ValueError(
        f"保管先 {name!r} は不明です (local か database) / unknown blob store {name!r} (local or database)"
    )
