"""A real ClamAV daemon (Debian's ``clamd``) for the tests, with a signature database made here.

The official databases need the internet; a test needs only signatures it knows: a body signature
(``.ndb``) for :data:`TEST_STRING` and a hash signature (``.hdb``) for the EICAR test file, which a
real malware finding is tested with. clamd runs in the foreground on a Unix socket in a temporary
folder, with its limits set as the hub's deployment sets them (``AlertExceedsMax yes``, so a body
over the scan limit is reported instead of passed).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TEST_STRING = b"KOKIN-MALWARE-TEST-STRING-7f3a"
TEST_SIGNATURE = "Kokin.Test.String"
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Eicar-Test-Signature"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


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


def write_database(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kokin-test.ndb").write_text(f"{TEST_SIGNATURE}:0:*:{TEST_STRING.hex()}\n", encoding="ascii")
    (folder / "kokin-test.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:{EICAR_SIGNATURE}\n", encoding="ascii"
    )


@contextmanager
def running_clamd(folder: Path, *, stream_max: str = "200M", scan_max: str = "200M") -> Iterator[Clamd]:
    """Start clamd on a socket in ``folder`` and wait until it answers PING; stop it afterwards."""
    if not os.path.exists(CLAMD):
        raise RuntimeError("clamd is not installed: apt-get install clamav-daemon (scripts/install-test-tools.sh)")
    database = folder / "db"
    write_database(database)
    socket_path = folder / "clamd.sock"
    config = folder / "clamd.conf"
    lines = [
        f"DatabaseDirectory {database}",
        f"LocalSocket {socket_path}",
        "Foreground yes",
        f"LogFile {folder / 'clamd.log'}",
        f"PidFile {folder / 'clamd.pid'}",
        f"TemporaryDirectory {folder}",
        f"StreamMaxLength {stream_max}",
        f"MaxScanSize {scan_max}",
        f"MaxFileSize {scan_max}",
        "AlertExceedsMax yes",
        "SelfCheck 0",
    ]
    if os.geteuid() == 0:
        lines.append("User root")
    config.write_text("\n".join(lines) + "\n", encoding="ascii")
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
