"""A small TCP proxy for fault tests of the bank link: it forwards connections to the hub and can cut
one, drop bytes from it, or flip a byte in what the hub sends.

With ``upstream_tls`` it also plays the bank's TLS tunnel (as stunnel does in client mode): the agent
speaks plain HTTP to the proxy on loopback and the proxy speaks mutual TLS to the hub with the bank's
certificate. That is the one place where a corrupted byte reaches the agent without TLS noticing it
first, so the agent's own digest check is what must refuse it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What to do to the hub → client stream, each once: counted from the start of a connection."""

    cut_after: int | None = None  #: close both sides after this many bytes from the hub
    cut_upload_after: int | None = None  #: close both sides after this many bytes to the hub
    corrupt_at: int | None = None  #: flip the bits of the byte at this offset
    #: pass at most this many bytes per second from the hub (so that a test can act mid-transfer)
    throttle: int | None = None
    done: list[str] = field(default_factory=list)  #: what was done, for the test to check
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, name: str) -> bool:
        with self.lock:
            if name in self.done:
                return False
            self.done.append(name)
            return True


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], *, upstream_tls: ssl.SSLContext | None = None) -> None:
        self.upstream = upstream
        self.upstream_tls = upstream_tls
        self.faults = Faults()
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def drop_connections(self) -> int:
        """Cut every open connection at once, with whatever is still buffered in the proxy (as when
        the hub goes down: what it had written but the client had not yet read is gone too)."""
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(sockets) // 2

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream: socket.socket = socket.create_connection(self.upstream)
            if self.upstream_tls is not None:
                upstream = self.upstream_tls.wrap_socket(upstream, server_hostname="localhost")
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.update((client, upstream))
        up = threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True)
        up.start()
        self._pump(upstream, client, True)
        up.join(timeout=5)

    def _pump(self, source: socket.socket, target: socket.socket, from_hub: bool) -> None:
        sent = 0
        faults = self.faults
        try:
            while chunk := source.recv(1 << 16):
                at = faults.corrupt_at
                if from_hub and at is not None and sent <= at < sent + len(chunk) and faults.take("corrupt"):
                    data = bytearray(chunk)
                    data[at - sent] ^= 0xFF
                    chunk = bytes(data)
                limit = faults.cut_after if from_hub else faults.cut_upload_after
                if limit is not None and sent + len(chunk) > limit and faults.take("cut" if from_hub else "cut_up"):
                    target.sendall(chunk[: limit - sent])
                    break
                target.sendall(chunk)
                sent += len(chunk)
                if from_hub and faults.throttle:
                    time.sleep(len(chunk) / faults.throttle)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
