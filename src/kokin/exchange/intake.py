"""Taking in a file as it arrives, in one pass over its bytes: each piece of the body is encrypted into a
new vault body (:class:`kokin.vault.services.Sealer`) on the receiving thread, while a second thread
hashes (SHA-256) and checks the same pieces (:func:`kokin.exchange.checks.check_stream`: format, every
record, summary). When the last byte is in, the file is checked, hashed and encrypted: nothing is read
back from disk, and no plaintext copy is written unless the caller asks for one (the bank link does, to
match a debit result against its request).

The checking thread reads from a bounded queue, so at most :data:`QUEUE_PIECES` pieces wait in memory;
it never touches the database. A body that ends early (the client went away) or any failure aborts
the intake: the vault body is removed and the thread is stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import queue
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

from kokin import malloc
from kokin.accounts.models import DataKind
from kokin.exchange.checks import Checked, check_stream
from kokin.scanning.clamd import Scan, ScanOutcome
from kokin.vault import services as vault

#: pieces of the body (of uploads.CHUNK, 256 KiB) that may wait for the checking thread; the receiving
#: side blocks beyond
QUEUE_PIECES = 4
#: records per block of the check: three quarters of the engine's default, a measured balance between
#: the check's speed and a worker's memory during an upload (benchmarks/bench_exchange.py)
CHECK_BLOCK = 12288
_END = b""


class _Pipe(io.RawIOBase):
    """The checking thread's side of the queue: a readable stream of the pieces put in, each hashed
    (SHA-256) and fed to the malware scan as it is taken off the queue — on this thread, which has time
    to spare, rather than on the receiving one. Every piece passes here exactly once (:meth:`drain`
    reads what the check left), so the scan sees the whole body."""

    def __init__(self, scan: Scan | None = None) -> None:
        super().__init__()
        self.scan = scan
        self.pieces: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=QUEUE_PIECES)
        self.current = memoryview(b"")
        self.ended = False
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def _next(self) -> bytes | None:
        """The next piece, hashed; None at the end."""
        piece = self.pieces.get()
        if isinstance(piece, BaseException):
            self.ended = True
            raise piece
        if piece is _END:
            self.ended = True
            return None
        self.digest.update(piece)
        if self.scan is not None:
            self.scan.feed(piece)
        self.size += len(piece)
        return piece

    def readinto(self, buffer: Any) -> int:
        while not self.current:
            if self.ended:
                return 0
            piece = self._next()
            if piece is None:
                return 0
            self.current = memoryview(piece)
        n = min(len(buffer), len(self.current))
        buffer[:n] = self.current[:n]
        self.current = self.current[n:]
        return n

    def drain(self) -> None:
        """Read (and hash) to the end without looking: the check stopped early, the sender must not
        block, and the SHA-256 is still of the whole body."""
        while not self.ended:
            try:
                self._next()
            except _Stopped:
                return


class _Stopped(Exception):
    """Put into the pipe when the intake is aborted: the checking thread ends without a result."""


@dataclass
class Taken:
    """A body taken in completely: its vault body (row not written yet) and what checking found."""

    sealed: vault.Sealed
    checked: Checked
    #: what the malware scan found (None: scanning is off)
    scanned: ScanOutcome | None = None

    @property
    def sha256(self) -> str:
        return self.sealed.sha256

    @property
    def size(self) -> int:
        return self.sealed.size


class Intake:
    """One arriving body: :meth:`write` each piece, then :meth:`close` (or :meth:`abort`). As a context
    manager it aborts when the block ends with an exception before :meth:`close`.

    ``plaintext``: an open binary file that also gets every piece (the caller owns it)."""

    def __init__(
        self,
        *,
        data_kind: DataKind,
        today: dt.date,
        lead_business_days: int,
        plaintext: BinaryIO | None = None,
        expected_sha256: str | None = None,
        scan: Scan | None = None,
    ) -> None:
        self.data_kind = data_kind
        self.plaintext = plaintext
        self.pipe = _Pipe(scan)
        self.result: Checked | None = None
        self.failure: BaseException | None = None
        self.sealer = vault.Sealer(expected_sha256=expected_sha256, hashed_by_caller=True)
        self.finished = False
        self.thread = threading.Thread(
            target=self._check, args=(today, lead_business_days), name="kokin-intake-check", daemon=True
        )
        self.thread.start()

    def _check(self, today: dt.date, lead_business_days: int) -> None:
        try:
            self.result = check_stream(
                self.pipe,  # type: ignore[arg-type]
                data_kind=self.data_kind,
                today=today,
                lead_business_days=lead_business_days,
                block_records=CHECK_BLOCK,
            )
        except _Stopped:
            return
        except BaseException as exc:  # handed to the receiving thread by close()
            self.failure = exc
        self.pipe.drain()

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            self.abort()

    @property
    def size(self) -> int:
        return self.sealer.size

    def write(self, piece: bytes) -> None:
        if not piece:
            return
        try:
            self.pipe.pieces.put(piece)  # hashed and checked on the other side, never dropped
            self.sealer.write(piece)
            if self.plaintext is not None:
                self.plaintext.write(piece)
        except BaseException:
            self.abort()
            raise

    def close(self) -> Taken:
        """The body is complete: wait for the check, commit the vault body (see :class:`Taken`)."""
        self._end(_END)
        try:
            if self.failure is not None:
                raise self.failure
            assert self.result is not None
            if self.pipe.size != self.sealer.size:
                raise RuntimeError(f"the check saw {self.pipe.size} bytes, the vault {self.sealer.size}")
            sealed = self.sealer.close(sha256=self.pipe.digest.hexdigest())
        except BaseException:
            self.sealer.abort()
            self._close_scan()
            raise
        self.finished = True
        malloc.trim()  # glibc keeps a check's freed blocks: some 15 MB a worker would carry on
        scanned = self.pipe.scan.finish() if self.pipe.scan is not None else None
        return Taken(sealed=sealed, checked=self.result, scanned=scanned)

    def _close_scan(self) -> None:
        if self.pipe.scan is not None:
            self.pipe.scan.close()

    def abort(self) -> None:
        """Drop everything taken in so far (safe to call more than once, and after :meth:`close`
        failed)."""
        if not self.finished:
            self._end(_Stopped())
            self.sealer.abort()
            self._close_scan()
            malloc.trim()  # glibc keeps a check's freed blocks: some 15 MB a worker would carry on

    def _end(self, last: bytes | BaseException) -> None:
        if self.thread.is_alive():
            if not self.pipe.ended:
                self.pipe.pieces.put(last)
            self.thread.join()
