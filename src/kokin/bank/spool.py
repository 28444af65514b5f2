"""The agent's spool: outbox/ (to send), inbox/ (received), sent/, failed/ and its own state in .agent/.

Every file the agent makes visible is written under a temporary name, flushed to disk and renamed, so
the bank's core system never sees half a file; every state file is written the same way so that a
kill at any point leaves either the old or the new state.

The spool holds payers' names and accounts in plaintext: its folders are 0700 and every file the
agent writes or moves into it 0600 (:func:`private_dir`, :func:`open_private`), whatever the umask;
folders and files made before with other modes are set so when the agent starts (:meth:`Spool.create`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokin.formats import files as durable
from kokin.formats.files import fsync_dir

#: names the agent never picks up from outbox/: files still being written or editor leftovers
_TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".swp", ".filepart", ".crdownload", "~")
_TRANSFER_ID = re.compile(r"^[A-Z0-9_-]+$")
#: modes of the spool's folders and files (owner only)
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(folder: Path) -> Path:
    """``folder`` and any missing parent, each one made here 0700 (existing folders are left alone)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:  # made meanwhile by another process
            continue
        os.chmod(path, DIR_MODE)  # mkdir's mode is cut by the umask, never widened
    return folder


def make_private(root: Path) -> None:
    """Set every folder under ``root`` to 0700 and every file to 0600 (symbolic links are not followed)."""
    for folder, dirs, files in os.walk(root):
        for name in (folder, *(os.path.join(folder, d) for d in dirs), *(os.path.join(folder, f) for f in files)):
            with contextlib.suppress(FileNotFoundError):
                mode = os.lstat(name).st_mode
                wanted = DIR_MODE if stat.S_ISDIR(mode) else FILE_MODE if stat.S_ISREG(mode) else None
                if wanted is not None and stat.S_IMODE(mode) != wanted:
                    os.chmod(name, wanted)


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """A file descriptor of ``path`` opened with ``flags``, created 0600 (an existing file set to 0600)."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


@dataclass(frozen=True)
class OutboxFile:
    """A file waiting in ``outbox/<transfer_id>/<name>``; ``bank_file_id`` is the name's stem."""

    path: Path
    transfer_id: str
    name: str

    @property
    def bank_file_id(self) -> str:
        return bank_file_id(self.name)


def bank_file_id(name: str) -> str:
    """The bank's file ID for a spool file name: its stem (``R20250527-0001.dat`` → ``R20250527-0001``)."""
    stem = Path(name).stem
    return stem or name


def is_candidate(name: str) -> bool:
    """Is this outbox name a finished file? Hidden names and temporary/partial files are skipped."""
    if not name or name.startswith(".") or name.startswith("~"):
        return False
    lower = name.lower()
    return not lower.endswith(_TEMP_SUFFIXES)


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.outbox = root / "outbox"
        self.inbox = root / "inbox"
        self.sent = root / "sent"
        self.failed = root / "failed"
        self.state = root / ".agent"
        self.partial = self.state / "partial"
        self.uploads = self.state / "uploads"
        self.acks = self.state / "acks"
        self.staging = self.state / "staging"
        self.history_db = self.state / "history.sqlite3"

    def create(self) -> None:
        """Make the spool's folders 0700; in a spool made before (by an agent that did not set modes),
        set the agent's folders and files to 0700 and 0600 — all but what the bank's core system keeps
        in ``outbox/<TRANSFER_ID>/``, which the agent only reads (and makes 0600 when it moves a file
        out of it)."""
        for folder in (
            self.root,
            self.outbox,
            self.inbox,
            self.sent,
            self.failed,
            self.partial,
            self.uploads,
            self.acks,
            self.staging,
        ):
            private_dir(folder)
        os.chmod(self.root, DIR_MODE)
        os.chmod(self.outbox, DIR_MODE)
        for folder in (self.inbox, self.sent, self.failed, self.state):
            make_private(folder)

    def scan_outbox(self) -> list[OutboxFile]:
        """Finished files in ``outbox/<TRANSFER_ID>/``, oldest first (then by name), so the bank's order holds."""
        found: list[tuple[float, str, OutboxFile]] = []
        if not self.outbox.is_dir():
            return []
        for folder in self.outbox.iterdir():
            if not folder.is_dir() or not _TRANSFER_ID.match(folder.name):
                continue
            for entry in os.scandir(folder):
                if not is_candidate(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    mtime = entry.stat().st_mtime
                except FileNotFoundError:  # taken away while we looked
                    continue
                found.append((mtime, entry.name, OutboxFile(Path(entry.path), folder.name, entry.name)))
        found.sort(key=lambda item: (item[0], item[1]))
        return [item[2] for item in found]

    def place(self, source: Path, folder: Path, name: str) -> Path:
        """Move ``source`` to ``folder/name`` (replacing an older copy), 0600, and make the rename durable."""
        private_dir(folder)
        os.chmod(folder, DIR_MODE)  # always inside the spool: sent/ or failed/<TRANSFER_ID>
        target = folder / name
        # a file the bank's core system put into outbox/ comes with its own mode (and, if it belongs
        # to another user, keeps it: that is the core system's choice, not a reason to stop sending)
        with contextlib.suppress(PermissionError):
            os.chmod(source, FILE_MODE)
        os.replace(source, target)
        fsync_dir(folder)
        with contextlib.suppress(OSError):
            fsync_dir(source.parent)
        return target


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` (0600) through a hidden temporary file (0600 from the start), fsync it, rename it
    and fsync the folder."""
    private_dir(path.parent)
    durable.write_atomic(path, data)
    os.chmod(path, FILE_MODE)
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
        fsync_dir(path.parent)


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def read_json(path: Path) -> dict[str, Any] | None:
    """A state file's contents, or ``None`` if it is missing or unreadable (a torn write is impossible, a
    hand-edited file is not)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def iter_state(folder: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.json")):
        value = read_json(path)
        if value is not None:
            yield path, value


def safe_component(value: str) -> str:
    """A string fit to be one file name (IDs come from the hub and the bank: never let them climb out)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", value).lstrip(".")
    return cleaned or "_"
