"""Storage space (保存領域) for uploads: an upload is refused before its body is read when the disks it
would be written to (the blob store's folder, the SQLite database's, the upload temp folder) have less
free space than its declared length plus a margin (``settings.DISK_MARGIN_MB``, env
``KOKIN_DISK_MARGIN_MB``). The margin keeps room for what must still be written when the disk is
nearly full: the operation log, sessions, logins.

A disk that fills while a body arrives (another process wrote to it) shows as ``ENOSPC`` — bare, or
wrapped (Tink's ``TinkError`` carries it only in its message; SQLite says "database or disk is full"):
:func:`is_no_space` finds it anywhere in an exception's chain. A shortage is logged (``storage_low``)
at most once per :data:`NOTE_EVERY`, and shown to the administrator and the auditor on their home page
(:func:`warning`).
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.errors import KokinError

logger = logging.getLogger(__name__)

ACTION = "storage_low"
MB = 1024 * 1024
#: at most one ``storage_low`` entry in this time (a full disk is not logged on every request)
NOTE_EVERY = dt.timedelta(minutes=10)
#: how long a shortage stays on the home page after it was logged
SHOWN_FOR = dt.timedelta(hours=24)
_NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_NO_SPACE_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")
_SQLITE_FULL = 13
#: who a shortage nobody ran into is written as (the home page's check, a full disk behind an error page)
HUB = Actor(name="kokin")

MESSAGE_JA = "保存領域が不足しています。ファイルは受け付けていません (何も保管していません)。"
MESSAGE_EN = "not enough storage space on the hub; the file was not accepted (nothing was stored)"


class NoSpace(KokinError):
    """Not enough free space for an upload of ``needed`` bytes (``free`` were left); ``str()`` is the
    English message with the numbers, for the log."""

    def __init__(self, *, needed: int, free: int) -> None:
        super().__init__(MESSAGE_JA, MESSAGE_EN, as_str=f"{MESSAGE_EN} (free {free:,} bytes, needed {needed:,})")
        self.needed = needed
        self.free = free


def margin_bytes() -> int:
    return int(settings.DISK_MARGIN_MB) * MB


def warn_bytes() -> int:
    return int(settings.DISK_WARN_MB) * MB or 4 * margin_bytes()


def folders() -> list[Path]:
    """The local folders an upload is written to: blobs (local store), the SQLite file, temp files."""
    found = [Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.HOME) / "tmp")]
    if settings.VAULT_BLOB_STORE == "local":
        found.append(Path(settings.HOME) / "blobs")
    if connection.vendor == "sqlite":
        name = str(settings.DATABASES["default"].get("NAME") or "")
        if name and not name.startswith(":memory:") and "mode=memory" not in name:
            found.append(Path(name).parent)
    return found


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def free_bytes() -> int:
    """The least free space among :func:`folders` (bytes a non-root process may use)."""
    return min(shutil.disk_usage(_existing(path)).free for path in folders())


def ensure_room(length: int | None) -> None:
    """:class:`NoSpace` unless a body of ``length`` bytes (None: not announced) fits with the margin."""
    needed = (length or 0) + margin_bytes()
    free = free_bytes()
    if free < needed:
        raise NoSpace(needed=needed, free=free)


def is_no_space(exc: BaseException | None) -> bool:
    """Is ``exc``, or anything in its chain (``__cause__`` / ``__context__``), a full disk?"""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE_ERRNOS:
            return True
        if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        if any(word in str(exc).lower() for word in _NO_SPACE_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def describe(exc: BaseException) -> str:
    """The first line of an error, short, for the log (Tink's message goes on with a stack trace)."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:200]


def note_shortage(*, reason: str, actor: Actor | None = None, **detail: Any) -> None:
    """Log a shortage (``storage_low``), unless one was logged in the last :data:`NOTE_EVERY`: as the
    ``actor`` who ran into it, with no role (a shortage is the hub's, not an act in a role). Never
    raises: on a disk too full for the log itself, it goes to the server's log instead."""
    try:
        free = free_bytes()
        since = timezone.now() - NOTE_EVERY
        if AuditEntry.objects.filter(action=ACTION, at__gte=since).exists():
            return
        record(
            action=ACTION,
            actor=actor if actor is not None else HUB,
            role="",
            object="storage",
            outcome="failure",
            detail={"reason": reason, "free_mb": free // MB, "margin_mb": margin_bytes() // MB, **detail},
        )
    except (DatabaseError, OSError) as exc:
        logger.error("storage space is short (%s) and the operation log could not record it: %s", reason, exc)


def refuse_upload(
    *,
    actor: Actor,
    business: str,
    via: str,
    needed: int | None = None,
    free: int | None = None,
    error: BaseException | None = None,
) -> None:
    """Log an upload refused for space (``exchange_upload``, failure, reason ``no_space``), as ``actor``
    in the role it carries: before its body was read (``needed``, ``free``) or when the disk filled
    during it (``error``); and the shortage (:func:`note_shortage`). Never raises."""
    detail: dict[str, Any] = {"reason": "no_space", "via": via, "when": "body" if error is not None else "declared"}
    if needed is not None and free is not None:
        detail.update(needed_mb=-(-needed // MB), free_mb=free // MB)
    if error is not None:
        detail["error"] = describe(error)
    try:
        record(
            action="exchange_upload",
            actor=actor,
            object=f"mailbox:{business}",
            outcome="failure",
            detail=detail,
        )
    except (DatabaseError, OSError) as exc:
        logger.error("an upload to %s was refused for space and could not be logged: %s", business, exc)
    note_shortage(reason="upload", actor=actor, business=business, via=via)


@dataclass(frozen=True)
class Shortage:
    """What the home page says about storage: free space now, and the last shortage logged."""

    free_mb: int
    low: bool
    last_noted: dt.datetime | None


def warning() -> Shortage | None:
    """A warning for the administrator's and the auditor's home page, None when all is well; a page
    view logs a shortage it finds (rate-limited by :func:`note_shortage`)."""
    free = free_bytes()
    low = free < warn_bytes()
    if low:
        note_shortage(reason="low")
    last = (
        AuditEntry.objects.filter(action=ACTION, at__gte=timezone.now() - SHOWN_FOR)
        .order_by("-seq")
        .values_list("at", flat=True)
        .first()
    )
    if not low and last is None:
        return None
    return Shortage(free_mb=free // MB, low=low, last_noted=last)
