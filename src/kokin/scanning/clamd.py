"""A client of ClamAV's daemon (clamd) that is fed a body piece by piece while it is taken in.

The hub reads an upload once — hashing, encrypting and checking it in the same pass — so the scan
must take the pieces as they come, not read a file of its own. clamd's ``INSTREAM`` command does
exactly that: each piece goes as a 4-byte big-endian length and the bytes, a zero length ends the
stream, and clamd answers one line. That protocol is a dozen lines, so it is spoken here directly
rather than through a client library (those take a whole file object to read, which would mean a
second pass over the plaintext).

Fail closed: anything but a clear ``OK`` or ``… FOUND`` — clamd unreachable, a timeout, a size limit
(``INSTREAM size limit exceeded``, or the ``Heuristics.Limits.Exceeded.*`` alert clamd gives with
``AlertExceedsMax yes`` when a file is larger than it scans), an unknown answer — raises
:class:`NotScanned`: the caller must hold the file, never pass it.

>>> parse_reply(b"stream: OK\\0")
Verdict(clean=True, signature='')
>>> parse_reply(b"stream: Eicar-Test-Signature FOUND\\0").signature
'Eicar-Test-Signature'
>>> parse_reply(b"INSTREAM size limit exceeded. ERROR\\0")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kokin.scanning.clamd.NotScanned: ウイルス検査ができませんでした (サイズ上限超過) / the file could not ...
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from kokin.formats.errors import KokinError

#: the largest piece sent in one INSTREAM chunk (clamd reads chunks of any size up to StreamMaxLength)
CHUNK = 64 * 1024
#: the signature names clamd reports when a file exceeds its scan limits (``AlertExceedsMax yes``)
LIMIT_ALERTS = ("Heuristics.Limits.Exceeded",)


class NotScanned(KokinError):
    """The body could not be scanned; ``reason`` is a short code (``unreachable``, ``timeout``,
    ``limit``, ``reply``) for the operation log."""

    def __init__(self, reason: str, message_ja: str, message_en: str) -> None:
        super().__init__(
            f"ウイルス検査ができませんでした ({message_ja})", f"the file could not be scanned ({message_en})"
        )
        self.reason = reason


@dataclass(frozen=True)
class Verdict:
    """clamd's answer on one body: clean, or the name of the signature found."""

    clean: bool
    signature: str = ""


def parse_reply(reply: bytes) -> Verdict:
    """clamd's answer to ``zINSTREAM`` (``stream: OK``, ``stream: <name> FOUND`` or ``… ERROR``)."""
    text = reply.rstrip(b"\0\n").decode("utf-8", "replace")
    if "size limit exceeded" in text:
        raise NotScanned("limit", "サイズ上限超過", "over the scanner's size limit")
    if text == "stream: OK":
        return Verdict(clean=True)
    if text.startswith("stream: ") and text.endswith(" FOUND"):
        signature = text[len("stream: ") : -len(" FOUND")].strip()
        if signature.startswith(LIMIT_ALERTS):
            raise NotScanned("limit", f"検査上限超過: {signature}", f"over a scan limit: {signature}")
        if signature:
            return Verdict(clean=False, signature=signature)
    raise NotScanned(
        "reply", f"検査サーバーの応答が不正: {text[:80]!r}", f"unexpected answer from clamd: {text[:80]!r}"
    )


def _connect(address: str, timeout: float) -> socket.socket:
    """``unix:/path`` or ``tcp://host:port`` (``host:port`` also)."""
    try:
        if address.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address[len("unix:") :])
            return sock
        host, _, port = address.removeprefix("tcp://").rpartition(":")
        return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except TimeoutError as exc:
        raise NotScanned("timeout", f"検査サーバー {address} が応答しません", f"clamd at {address} timed out") from exc
    except (OSError, ValueError) as exc:
        raise NotScanned(
            "unreachable", f"検査サーバー {address} に接続できません: {exc}", f"cannot reach clamd at {address}: {exc}"
        ) from exc


def _read_reply(sock: socket.socket, address: str) -> bytes:
    reply = b""
    try:
        while not reply.endswith(b"\0"):
            piece = sock.recv(4096)
            if not piece:
                break
            reply += piece
            if len(reply) > 64 * 1024:
                break
    except TimeoutError as exc:
        raise NotScanned("timeout", f"検査サーバー {address} が応答しません", f"clamd at {address} timed out") from exc
    except OSError as exc:
        raise NotScanned("unreachable", f"検査サーバーとの接続が切れました: {exc}", f"lost clamd: {exc}") from exc
    return reply


class StreamScan:
    """One body streamed to clamd: :meth:`feed` each piece, then :meth:`verdict`. Use it as a context
    manager so the connection is closed whatever happens."""

    def __init__(self, address: str, *, timeout: float) -> None:
        self.address = address
        self.size = 0
        self._sock = _connect(address, timeout)
        self._send(b"zINSTREAM\0")

    def _send(self, data: bytes | memoryview) -> None:
        try:
            self._sock.sendall(data)
        except TimeoutError as exc:
            raise NotScanned(
                "timeout", f"検査サーバー {self.address} が応答しません", f"clamd at {self.address} timed out"
            ) from exc
        except OSError as exc:
            # clamd closes the stream when it is over StreamMaxLength, before it reads the rest: its
            # answer says so, and that is what the caller needs to hear
            reply = _read_reply(self._sock, self.address)
            if reply:
                parse_reply(reply)
            raise NotScanned("unreachable", f"検査サーバーとの接続が切れました: {exc}", f"lost clamd: {exc}") from exc

    def feed(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            piece = view[start : start + CHUNK]
            self._send(struct.pack("!L", len(piece)) + piece.tobytes())
        self.size += len(view)

    def verdict(self) -> Verdict:
        """End the stream and wait for clamd's answer."""
        self._send(struct.pack("!L", 0))
        return parse_reply(_read_reply(self._sock, self.address))

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> StreamScan:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def command(address: str, word: str, *, timeout: float) -> str:
    """A one-line clamd command (``PING``, ``VERSION``, ``RELOAD``) and its answer."""
    with _connect(address, timeout) as sock:
        sock.sendall(b"z" + word.encode("ascii") + b"\0")
        return _read_reply(sock, address).rstrip(b"\0\n").decode("utf-8", "replace")


@dataclass(frozen=True)
class Version:
    """``VERSION``: the engine, and — with the official databases — the daily database's number and
    date (a custom database alone gives neither)."""

    engine: str
    database: str = ""
    database_date: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """
        >>> Version.parse("ClamAV 1.4.6/27480/Sun Dec  6 09:24:01 2026")
        Version(engine='ClamAV 1.4.6', database='27480', database_date='Sun Dec  6 09:24:01 2026')
        >>> Version.parse("ClamAV 1.4.6").database
        ''
        """
        engine, _, rest = text.partition("/")
        database, _, date = rest.partition("/")
        return cls(engine=engine.strip(), database=database.strip(), database_date=date.strip())


def version(address: str, *, timeout: float) -> Version:
    return Version.parse(command(address, "VERSION", timeout=timeout))


@dataclass(frozen=True)
class ScanOutcome:
    """What scanning one body came to: a verdict, or why there is none (``failure``)."""

    verdict: Verdict | None
    failure: NotScanned | None = None

    @property
    def clean(self) -> bool:
        return self.verdict is not None and self.verdict.clean

    @property
    def infected(self) -> bool:
        return self.verdict is not None and not self.verdict.clean

    def as_detail(self) -> dict[str, str]:
        """For the operation log: ``clean``, ``found`` with the signature, or ``not_scanned`` with why."""
        if self.verdict is None:
            return {"scan": "not_scanned", "scan_reason": self.failure.reason if self.failure else ""}
        if self.verdict.clean:
            return {"scan": "clean"}
        return {"scan": "found", "signature": self.verdict.signature}


class Scan:
    """One body streamed to clamd that never raises while it is fed: a fault (no daemon, a timeout, a
    limit) is kept and :meth:`finish` reports it as an outcome with no verdict, so the taking-in goes on
    to its end and the caller decides (it holds the file)."""

    def __init__(self, address: str, *, timeout: float) -> None:
        self.failure: NotScanned | None = None
        self._stream: StreamScan | None = None
        try:
            self._stream = StreamScan(address, timeout=timeout)
        except NotScanned as exc:
            self.failure = exc

    def feed(self, data: bytes | memoryview) -> None:
        if self._stream is None or self.failure is not None:
            return
        try:
            self._stream.feed(data)
        except NotScanned as exc:
            self.failure = exc
            self.close()

    def finish(self) -> ScanOutcome:
        if self._stream is not None and self.failure is None:
            try:
                return ScanOutcome(verdict=self._stream.verdict())
            except NotScanned as exc:
                self.failure = exc
            finally:
                self.close()
        return ScanOutcome(verdict=None, failure=self.failure)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


def scan_stream(stream: Readable, address: str, *, timeout: float) -> ScanOutcome:
    """Scan what ``stream`` holds, read in :data:`CHUNK` pieces (a file on disk, a decrypting reader)."""
    scan = Scan(address, timeout=timeout)
    try:
        while piece := stream.read(CHUNK):
            scan.feed(piece)
        return scan.finish()
    finally:
        scan.close()
