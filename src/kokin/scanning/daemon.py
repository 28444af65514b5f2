"""Running a ClamAV daemon of the hub's own (the demo, the tests): its configuration, with the limits the
hub needs, and a signature database of test signatures.

The limits matter: clamd's defaults scan only the first 100 MB of a stream and pass the rest unseen.
Here ``StreamMaxLength`` and ``MaxScanSize``/``MaxFileSize`` are set to at least the largest upload, and
``AlertExceedsMax yes`` makes clamd report a body over them (``Heuristics.Limits.Exceeded.*``), which the
client counts as not scanned (:mod:`kokin.scanning.clamd`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

#: a harmless string the test signature matches (tests, and the demo's "infected" sample)
TEST_STRING = b"KOKIN-MALWARE-TEST-STRING-7f3a"
TEST_SIGNATURE = "Kokin.Test.String"
#: the standard antivirus test file (eicar.org), matched by its MD5 in the database made here
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Eicar-Test-Signature"
#: where Debian's freshclam (or a copy from a private mirror) keeps the official databases
OFFICIAL = Path("/var/lib/clamav")


def clamd_binary() -> str | None:
    found = shutil.which("clamd") or "/usr/sbin/clamd"
    return found if os.path.exists(found) else None


def write_database(folder: Path) -> None:
    """The test signatures (a body signature for :data:`TEST_STRING`, the EICAR hash), and links to
    the official databases when this machine has them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kokin-test.ndb").write_text(f"{TEST_SIGNATURE}:0:*:{TEST_STRING.hex()}\n", encoding="ascii")
    (folder / "kokin-test.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:{EICAR_SIGNATURE}\n", encoding="ascii"
    )


def link_official(folder: Path, official: Path = OFFICIAL) -> int:
    """Link the official databases (``*.cvd``, ``*.cld``) into ``folder``; how many there were."""
    found = 0
    for db in sorted(official.glob("*.c[vl]d")) if official.is_dir() else []:
        target = folder / db.name
        if not target.exists():
            target.symlink_to(db)
        found += 1
    return found


def write_config(folder: Path, *, stream_max: str = "2000M", scan_max: str = "2000M") -> Path:
    """A foreground clamd on the Unix socket ``folder/clamd.sock`` with its database in ``folder/db``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"DatabaseDirectory {folder / 'db'}",
        f"LocalSocket {folder / 'clamd.sock'}",
        "Foreground yes",
        f"LogFile {folder / 'clamd.log'}",
        f"PidFile {folder / 'clamd.pid'}",
        f"TemporaryDirectory {folder}",
        f"StreamMaxLength {stream_max}",
        f"MaxScanSize {scan_max}",
        f"MaxFileSize {scan_max}",
        "AlertExceedsMax yes",
        "SelfCheck 600",
    ]
    if os.geteuid() == 0:
        lines.append("User root")
    config = folder / "clamd.conf"
    config.write_text("\n".join(lines) + "\n", encoding="ascii")
    return config


def socket_address(folder: Path) -> str:
    return f"unix:{folder / 'clamd.sock'}"
