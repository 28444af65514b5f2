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

:func:`check` compares the database with every checkpoint in the file: a checkpointed entry missing
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
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


# --- checking the database against the checkpoints -------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_en} / {self.message_ja}"


@dataclass
class Report:
    """What :func:`check` found: the problems (verify fails), warnings, and the latest checkpoint."""

    path: Path
    #: checkpoints kept elsewhere (``kokin audit verify --checkpoint``): messages say so
    kept: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: the valid checkpoints read (signature, key and hub good)
    checked: int = 0
    latest: Checkpoint | None = None
    #: entries in the database after the latest checkpoint
    after: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, ja: str, en: str) -> None:
        self.problems.append(Problem(f"控え: {ja}", f"kept: {en}") if self.kept else Problem(ja, en))


def local_public_key() -> Ed25519PublicKey | None:
    key = signing.private_key(directory(), create=False)
    return key.public_key() if key is not None else None


def check_lines(lines: list[Line], report: Report, public_key: Ed25519PublicKey | None) -> list[Checkpoint]:
    """The checkpoints whose signature, key and hub are good; a problem in ``report`` for every other."""
    good = []
    hub = hub_id()
    fp = signing.fingerprint(public_key) if public_key is not None else None
    for line in lines:
        cp = line.checkpoint
        at, at_en = f"チェックポイント {line.number} 行目", f"checkpoint line {line.number}"
        if cp is None:
            if line.torn:
                report.warnings.append(
                    Problem(
                        f"{at}: 書き込み途中で切れています (書き込み中の停止?)",
                        f"{at_en}: cut short (the writer stopped while writing?)",
                    )
                )
            else:
                report.problem(
                    f"{at}: チェックポイントの形式ではありません (改ざんの疑い)",
                    f"{at_en}: not a checkpoint (edited?)",
                )
        elif public_key is None:
            report.problem(
                f"{at}: 署名鍵 {signing.key_path(directory())} がないため署名を確認できません",
                f"{at_en}: the signing key {signing.key_path(directory())} is missing; cannot check the signature",
            )
        elif cp.key != fp:
            report.problem(
                f"{at}: 別の鍵 {cp.key} で署名されています (署名鍵の差し替え・偽造の疑い)",
                f"{at_en}: signed with another key {cp.key} (key replaced, or forged?)",
            )
        elif not signing.valid(public_key, cp.payload(), cp.sig):
            report.problem(
                f"{at}: 署名が一致しません (チェックポイントの改ざん・偽造の疑い)",
                f"{at_en}: the signature does not match (checkpoint edited or forged?)",
            )
        elif cp.hub != hub:
            report.problem(
                f"{at}: 別のハブ ({cp.hub}) のチェックポイントです",
                f"{at_en}: a checkpoint of another hub ({cp.hub})",
            )
        else:
            good.append(cp)
    return good


def compare(good: list[Checkpoint], report: Report) -> None:
    """Each checkpointed entry must be in the database with the same MAC; the log must reach the latest."""
    head = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    if not good:
        report.after = head
        return
    latest = max(good, key=lambda cp: (cp.seq, cp.at))
    report.checked += len(good)
    report.latest = latest
    if head < latest.seq:
        gone = latest.seq - head
        report.problem(
            f"操作ログは連番 {head} で終わっていますが、{latest.when} のチェックポイントは連番 {latest.seq} "
            f"まであります: 最新の {gone} 件が削除されたか、古い複製に戻されています",
            f"the log ends at entry {head}, but the checkpoint of {latest.when} covers entries up to {latest.seq}: "
            f"the newest {gone} entries were deleted, or the database was restored from an older copy",
        )
    by_seq: dict[int, list[Checkpoint]] = {}
    for cp in good:
        if cp.seq <= head and cp.mac not in {c.mac for c in by_seq.get(cp.seq, [])}:
            by_seq.setdefault(cp.seq, []).append(cp)
    seqs = sorted(by_seq)
    for start in range(0, len(seqs), 1000):
        chunk = seqs[start : start + 1000]
        macs = dict(AuditEntry.objects.filter(seq__in=chunk).values_list("seq", "mac"))
        for seq in chunk:
            for cp in by_seq[seq]:
                if seq not in macs:
                    report.problem(
                        f"{cp.when} のチェックポイントが署名した連番 {seq} がありません (削除の疑い)",
                        f"entry {seq}, signed by the checkpoint of {cp.when}, is missing (deleted?)",
                    )
                elif not hmac.compare_digest(macs[seq], cp.mac):
                    report.problem(
                        f"連番 {seq} は {cp.when} のチェックポイントが署名した記録と違います "
                        "(古い複製に戻して書き足した疑い)",
                        f"entry {seq} is not the one the checkpoint of {cp.when} signed "
                        "(the database was restored from an older copy and written on?)",
                    )
    report.after = max(head - latest.seq, 0)


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).isoformat(timespec="seconds")


def check() -> Report:
    """Check the checkpoint file and the database against it (the file is read first, so a checkpoint
    written meanwhile never looks like a missing entry)."""
    report = Report(path=file_path())
    start = started()  # before the file: a first line written meanwhile is then found in it
    lines = read()
    good = check_lines(lines or [], report, local_public_key())
    compare(good, report)
    grace = dt.timedelta(seconds=GRACE_INTERVALS * settings.AUDIT_CHECKPOINT_SECONDS)
    if not lines:
        if start is not None:
            report.problem(
                f"チェックポイントファイル {report.path} がないか空です。操作ログによれば連番 {start.seq} "
                f"({_local(start.at)}) に作られています (削除・消去の疑い)",
                f"the checkpoint file {report.path} is missing or empty, but the log says it was started at "
                f"entry {start.seq} ({_local(start.at)}) (removed or emptied?)",
            )
        else:
            oldest = AuditEntry.objects.order_by("seq").only("at").first()
            if oldest is not None and oldest.at < timezone.now() - grace:
                report.problem(
                    f"{_local(oldest.at)} からの記録があるのにチェックポイントが 1 件もありません "
                    "(チェックポイントファイルの削除の疑い、または一度も書かれていません)",
                    f"the log has entries since {_local(oldest.at)} but no checkpoint "
                    "(the checkpoint file removed, or never written?)",
                )
    if report.latest is not None and report.after:
        first = AuditEntry.objects.filter(seq__gt=report.latest.seq).order_by("seq").only("at").first()
        if first is not None and first.at < timezone.now() - grace:
            report.warnings.append(
                Problem(
                    f"最新のチェックポイントの後の記録が {_local(first.at)} から固定されていません "
                    "(kokin audit checkpoint --every 60 は動いていますか)",
                    f"entries since {_local(first.at)} are after the latest checkpoint "
                    "(is `kokin audit checkpoint --every 60` running?)",
                )
            )
    return report


def check_kept(text: str, public_key: Ed25519PublicKey | None = None) -> Report:
    """Check the database against checkpoints kept elsewhere (``kokin audit checkpoint`` output, a
    syslog extract): every line of ``text`` that is a JSON object, checked with ``public_key`` (default:
    the hub's own)."""
    report = Report(path=Path("-"), kept=True)
    lines = [
        Line(number, _parse_or_none(part[part.index("{") :]))
        for number, part in enumerate(text.splitlines(), 1)
        if "{" in part and part.rstrip().endswith("}")
    ]
    if not lines:
        report.problem("控えにチェックポイントがありません", "no checkpoint in the kept text")
        return report
    good = check_lines(lines, report, public_key or local_public_key())
    compare(good, report)
    return report


def _parse_or_none(text: str) -> Checkpoint | None:
    try:
        return parse(text)
    except ValueError:
        return None
