"""Signed checkpoints (署名付きチェックポイント) of the operation log's head, kept outside the database.

The hash chain (:mod:`kokin.audit.services`) shows an edited or removed entry in the middle, but not
the newest entries removed: the shortened log still chains. A checkpoint anchors the head: the entry
number and MAC of the newest entry, its time and the time of the checkpoint, the hub's identifier,
signed with the Ed25519 key of :mod:`kokin.audit.signing` (a file, not in the database). Checkpoints
are appended, one JSON line each, to ``AUDIT_CHECKPOINT_DIR/checkpoints.jsonl`` (default
``KOKIN_HOME/audit``), opened ``O_APPEND``, written under an exclusive ``flock`` (several hub workers
write it) and fsynced; optionally each line also goes to syslog (``KOKIN_AUDIT_SYSLOG``).

When: after the commit of every ``AUDIT_CHECKPOINT_EVERY``-th entry and of any entry written when
the file is older than ``AUDIT_CHECKPOINT_SECONDS``; and every ``AUDIT_CHECKPOINT_SECONDS`` by
``kokin audit checkpoint --every 60``, a process beside the hub (the demo runs it), when the head has
moved — so the entries not yet anchored are at most a minute old.

:func:`kokin.audit.anchors.check` compares the database with every checkpoint in the file: a checkpointed entry missing
from the database (newest entries deleted, an older copy restored) or with another MAC (an older copy
restored and written on) is reported, as is a line whose signature fails. Removing the file is shown
by the log itself: the first line of a new file writes an ``audit_checkpoint_start`` entry into the
chain, and no writer starts a second file once the log has one (only ``kokin audit checkpoint
--new-file`` does, logged), so a log with that entry and no checkpoints means the file was removed
or emptied. Design and limits: ``docs/audit.md``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from kokin.audit import signing
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.formats.files import fsync_dir

log = logging.getLogger(__name__)

FILE = "checkpoints.jsonl"
VERSION = 1
#: what the signature covers besides the fields: a checkpoint signature is good for nothing else
DOMAIN = b"kokin operation-log checkpoint v1\n"
START_ACTION = "audit_checkpoint_start"
#: entries not anchored after this many checkpoint intervals are worth a warning
GRACE_INTERVALS = 3


def directory() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def file_path() -> Path:
    return directory() / FILE


def hub_id() -> str:
    """The hub's name in its checkpoints: derived from the log's key, so the same on every app server
    of one hub, different on another hub, and naming no host."""
    return hmac.new(settings.AUDIT_KEY, b"kokin hub id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """One signed statement: "on ``at``, the log's newest entry was ``seq`` with MAC ``mac``"."""

    hub: str
    seq: int
    mac: str
    entry_at: str
    at: str
    key: str
    sig: str = ""
    v: int = VERSION

    def payload(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "sig"}
        return DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("ascii")

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @property
    def taken(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)

    @property
    def when(self) -> str:
        """When it was taken, in local time to the second (for messages)."""
        return timezone.localtime(self.taken).isoformat(timespec="seconds")


def parse(text: str) -> Checkpoint:
    """A checkpoint from its JSON line; ``ValueError`` if it is not one (the signature is not checked)."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ValueError("not a version-1 checkpoint")
    try:
        cp = Checkpoint(**data)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    str_fields = (cp.hub, cp.mac, cp.entry_at, cp.at, cp.key, cp.sig)
    if not isinstance(cp.seq, int) or not all(isinstance(s, str) for s in str_fields):
        raise ValueError("wrong field types")
    return cp


def make(*, seq: int, mac: str, entry_at: dt.datetime) -> Checkpoint:
    """A checkpoint of the entry ``seq`` signed now with the hub's checkpoint key."""
    key = signing.private_key(directory())
    assert key is not None
    unsigned = Checkpoint(
        hub=hub_id(),
        seq=seq,
        mac=mac,
        entry_at=entry_at.isoformat(timespec="microseconds"),
        at=timezone.now().isoformat(timespec="microseconds"),
        key=signing.fingerprint(key.public_key()),
    )
    return Checkpoint(**{**asdict(unsigned), "sig": signing.sign(key, unsigned.payload())})


def of_head() -> Checkpoint | None:
    """A checkpoint of the log's newest committed entry; ``None`` for an empty log."""
    head = AuditEntry.objects.order_by("-seq").only("seq", "mac", "at").first()
    return make(seq=head.seq, mac=head.mac, entry_at=head.at) if head else None


# --- the file --------------------------------------------------------------------------------------


def started() -> AuditEntry | None:
    """The log's entry that says the current checkpoint file was started (the newest such), if any."""
    return AuditEntry.objects.filter(action=START_ACTION).order_by("-seq").first()


def append(cp: Checkpoint, *, new_file: bool = False) -> bool:
    """Append ``cp`` to the checkpoint file (and syslog); ``False`` if refused.

    An empty or missing file is started only when the log has never had one, or with ``new_file``
    (``kokin audit checkpoint --new-file``); starting one writes ``audit_checkpoint_start``.
    """
    path = file_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size == 0 and not new_file and (earlier := started()) is not None:
            log.error(
                "not starting a new checkpoint file %s: the operation log says one was started at entry %s "
                "(removed? restore it, or start a new one with `kokin audit checkpoint --new-file`)",
                path,
                earlier.seq,
            )
            return False
        data = cp.line().encode("ascii") + b"\n"
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # keep a line torn by a crash on its own
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock
    if size == 0:
        fsync_dir(path.parent)
        _record_start(cp, path)
    _to_syslog(cp)
    return True


def _record_start(cp: Checkpoint, path: Path) -> None:
    from kokin.audit.services import record

    record(
        action=START_ACTION,
        actor=Actor.command(),
        object=str(path)[-255:],
        detail={"first_checkpoint": cp.seq, "key": cp.key, "hub": cp.hub},
    )


_syslog_handlers: dict[str, logging.Handler] = {}


def _to_syslog(cp: Checkpoint) -> None:
    """``KOKIN_AUDIT_SYSLOG``: a socket path (``/dev/log``) or ``host:port`` (UDP); empty: off."""
    where = settings.AUDIT_CHECKPOINT_SYSLOG
    if not where:
        return
    handler = _syslog_handlers.get(where)
    if handler is None:
        host, _, port = where.rpartition(":")
        address: str | tuple[str, int] = (host, int(port)) if host and port.isdigit() else where
        handler = logging.handlers.SysLogHandler(address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
        handler.setFormatter(logging.Formatter("kokin-audit-checkpoint: %(message)s"))
        _syslog_handlers[where] = handler
    handler.handle(logging.LogRecord("kokin.audit.checkpoint", logging.INFO, __file__, 0, cp.line(), None, None))


@dataclass(frozen=True)
class Line:
    """One line of the checkpoint file: its number, the checkpoint (``None`` if it is not one)."""

    number: int
    checkpoint: Checkpoint | None
    #: the last line, without its newline: a write cut short by a crash
    torn: bool = False


def read(path: Path | None = None) -> list[Line] | None:
    """The lines of the checkpoint file, or ``None`` if there is no file."""
    try:
        raw = (path or file_path()).read_bytes()
    except FileNotFoundError:
        return None
    lines = raw.split(b"\n")
    out = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            cp: Checkpoint | None = parse(text.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            cp = None
        out.append(Line(number, cp, torn=number == len(lines) and cp is None))
    return out


def file_age() -> float | None:
    """Seconds since the checkpoint file was last written; ``None`` if there is none."""
    try:
        return time.time() - file_path().stat().st_mtime
    except FileNotFoundError:
        return None


def after_commit(entry: AuditEntry) -> None:
    """``transaction.on_commit`` of every entry: checkpoint it if it is the N-th or the file is old."""
    every = settings.AUDIT_CHECKPOINT_EVERY
    age = file_age()
    if (every > 0 and entry.seq % every == 0) or age is None or age >= settings.AUDIT_CHECKPOINT_SECONDS:
        append(make(seq=entry.seq, mac=entry.mac, entry_at=entry.at))
