"""A real ClamAV daemon (Debian's ``clamd``) for the tests, with a signature database made here.

The official databases need the internet; a test needs only signatures it knows: a body signature
for :data:`kokin.scanning.daemon.TEST_STRING` and a hash signature for the EICAR test file
(:func:`kokin.scanning.daemon.write_database`). clamd runs in the foreground on a Unix socket in a temporary
folder, with its limits set as the hub's deployment sets them (``AlertExceedsMax yes``, so a body
over the scan limit is reported instead of passed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kokin.scanning.daemon import clamd_binary, write_config, write_database

CLAMD = clamd_binary() or "/usr/sbin/clamd"


@dataclass
class Clamd:
    address: str
    folder: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_clamd(folder: Path, *, stream_max: str = "200M", scan_max: str = "200M") -> Iterator[Clamd]:
    """Start clamd on a socket in ``folder`` and wait until it answers PING; stop it afterwards."""
    if not os.path.exists(CLAMD):
        raise RuntimeError("clamd is not installed: apt-get install clamav-daemon (scripts/install-test-tools.sh)")
    write_database(folder / "db")
    config = write_config(folder, stream_max=stream_max, scan_max=scan_max)
    socket_path = folder / "clamd.sock"
    process = subprocess.Popen([CLAMD, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    daemon = Clamd(address=f"unix:{socket_path}", folder=folder, process=process)
    try:
        _wait_ready(daemon)
        yield daemon
    finally:
        daemon.stop()


def _wait_ready(daemon: Clamd, timeout: float = 60.0) -> None:
    from kokin.scanning.clamd import NotScanned, command

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.process.poll() is not None:
            raise RuntimeError(
                f"clamd exited: {daemon.process.stderr.read().decode() if daemon.process.stderr else ''}"
            )
        try:
            if command(daemon.address, "PING", timeout=2) == "PONG":
                return
        except NotScanned:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"clamd did not answer within {timeout} s")
