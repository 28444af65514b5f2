"""Durable file writes, one copy for all of kokin: :func:`write_atomic` (temporary file in the same
folder, flushed and fsynced, then renamed, so a reader never sees half a file) and :func:`fsync_dir`
(makes a rename or unlink in a folder survive a crash).

It lives in :mod:`kokin.formats` because that is the lowest part of kokin — no Django, no other part
of kokin — so every part may import it, the bank side (which may use only ``kokin.formats``) too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomic(path: str | Path, data: bytes | Callable[[IO[bytes]], None]) -> None:
    """Write ``data`` (bytes, or a function that writes to a binary file) to ``path`` atomically. The
    file is created 0600 (``mkstemp``); the folder is not fsynced (call :func:`fsync_dir` for that)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(data):
                data(fh)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(folder: Path) -> None:
    """fsync the folder itself, so that a rename, creation or unlink in it is on disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
