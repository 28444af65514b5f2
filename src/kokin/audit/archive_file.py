"""The archive file of the operation log (操作ログのアーカイブ): checkable on its own, without the database.

A gzip-compressed JSON Lines file, one JSON object a line:

- the header: ``{"archive": "kokin operation log", "v": 1, "hub", "first_seq", "first_prev_mac",
  "before", "created_at"}``;
- the entries in ``seq`` order, each with every field its MAC covers and its ``prev_mac`` and ``mac``;
- the trailer: ``{"trailer": true, "first_seq", "first_prev_mac", "last_seq", "last_mac", "count",
  "lines_sha256", "checkpoint", "hub", "key", "seal"}``.

``checkpoint`` is a signed checkpoint of the last entry (:mod:`kokin.audit.checkpoints`, the same form
as a line of the checkpoint file); ``lines_sha256`` is the SHA-256 of every line before the trailer
(newlines included) and ``seal`` the Ed25519 signature, with the checkpoint key, over the trailer's other
fields. So :func:`check` finds, from the file alone and the hub's keys: an entry edited, removed,
inserted or reordered (the MACs, keyed with the audit key, chained from the first entry's
``prev_mac``); entries cut from either end or a header edited (the seal); a forged trailer (the
signatures). The gzip member is written with no name and time, so a file says nothing of its writer.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kokin.audit import checkpoints, signing
from kokin.audit.models import AuditEntry
from kokin.audit.services import Break, verify
from kokin.formats.files import write_atomic

MAGIC = "kokin operation log"
VERSION = 1
#: what the seal signs besides the fields: a seal is good for nothing else
SEAL_DOMAIN = b"kokin operation-log archive v1\n"
ENTRY_FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "department",
    "client_ip",
    "cert_fingerprint",
    "action",
    "object",
    "sha256",
    "outcome",
    "detail",
    "prev_mac",
    "mac",
)


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


def entry_data(entry: AuditEntry) -> dict[str, Any]:
    data = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    data["at"] = entry.at.isoformat(timespec="microseconds")
    return data


def entry_of(data: dict[str, Any]) -> AuditEntry:
    """An (unsaved) entry from its line; ``ValueError`` if the line is not one."""
    if not isinstance(data, dict) or set(data) != set(ENTRY_FIELDS):
        raise ValueError("not an operation-log entry")
    wrong = [
        name
        for name in ENTRY_FIELDS
        if not isinstance(data[name], int if name == "seq" else dict if name == "detail" else str)
        or isinstance(data[name], bool)
    ]
    if wrong:
        raise ValueError(f"wrong type: {', '.join(wrong)}")
    values = dict(data)
    values["at"] = dt.datetime.fromisoformat(data["at"])
    return AuditEntry(**values)


def seal_payload(trailer: dict[str, Any]) -> bytes:
    fields = {k: v for k, v in trailer.items() if k != "seal"}
    return SEAL_DOMAIN + json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Written:
    """What :func:`write` put in the file."""

    path: Path
    first_seq: int = 0
    first_prev_mac: str = ""
    last_seq: int = 0
    last_mac: str = ""
    count: int = 0
    sha256: str = ""


def write(path: Path, entries: Iterable[AuditEntry], *, before: dt.datetime) -> Written:
    """Write ``entries`` (consecutive, in ``seq`` order, at least one) to ``path`` atomically: a temporary
    file in the same folder, fsynced, renamed (the folder is fsynced by the caller). Signs the trailer
    with the checkpoint key."""
    written = Written(path=path)
    key = signing.private_key(checkpoints.directory())
    assert key is not None
    hub = checkpoints.hub_id()

    def body(out: IO[bytes]) -> None:
        lines = hashlib.sha256()
        last: AuditEntry | None = None
        with gzip.GzipFile(fileobj=out, mode="wb", filename="", mtime=0) as gz:
            for entry in entries:
                if last is None:
                    written.first_seq, written.first_prev_mac = entry.seq, entry.prev_mac
                    header = _line(
                        {
                            "archive": MAGIC,
                            "v": VERSION,
                            "hub": hub,
                            "first_seq": entry.seq,
                            "first_prev_mac": entry.prev_mac,
                            "before": before.isoformat(timespec="microseconds"),
                            "created_at": _now(),
                        }
                    )
                    lines.update(header)
                    gz.write(header)
                line = _line(entry_data(entry))
                lines.update(line)
                gz.write(line)
                written.count += 1
                last = entry
            if last is None:
                raise ValueError("an archive needs at least one entry")
            written.last_seq, written.last_mac = last.seq, last.mac
            cp = checkpoints.make(seq=last.seq, mac=last.mac, entry_at=last.at)
            trailer: dict[str, Any] = {
                "trailer": True,
                "first_seq": written.first_seq,
                "first_prev_mac": written.first_prev_mac,
                "last_seq": last.seq,
                "last_mac": last.mac,
                "count": written.count,
                "lines_sha256": lines.hexdigest(),
                "checkpoint": json.loads(cp.line()),
                "hub": hub,
                "key": cp.key,
            }
            trailer["seal"] = signing.sign(key, seal_payload(trailer))
            gz.write(_line(trailer))

    write_atomic(path, body)
    written.sha256 = file_sha256(path)
    return written


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# --- checking a file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_en} / {self.message_ja}"


@dataclass
class Report:
    """What :func:`check` found in one archive file."""

    path: Path
    sha256: str = ""
    first_seq: int = 0
    first_prev_mac: str = ""
    last_seq: int = 0
    last_mac: str = ""
    count: int = 0
    checkpoint: checkpoints.Checkpoint | None = None
    problems: list[Problem] = field(default_factory=list)
    #: all the chain breaks found; the first ``keep`` are also in ``problems``
    break_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, ja: str, en: str) -> None:
        self.problems.append(Problem(ja, en))


class _Lines:
    """The file's JSON lines, the trailer held back: iterating yields the entries (header checked first)."""

    def __init__(self, fh: Iterable[bytes], report: Report) -> None:
        self.fh = fh
        self.report = report
        self.header: dict[str, Any] | None = None
        self.trailer: dict[str, Any] | None = None
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[AuditEntry]:
        held: tuple[int, bytes] | None = None
        for number, raw in enumerate(self.fh, 1):
            if held is not None:
                yield from self._entry(*held)
            held = (number, raw)
        if held is None:
            self.report.problem("ファイルが空です", "the file is empty")
            return
        number, raw = held
        data = _json(raw)
        if isinstance(data, dict) and data.get("trailer") is True:
            self.trailer = data
        else:
            self.report.problem(
                "末尾の検証用の行がありません (途中で切れているか、末尾が削除されています)",
                "the trailer is missing (the file is cut short, or its end removed)",
            )
            yield from self._entry(number, raw)

    def _entry(self, number: int, raw: bytes) -> Iterator[AuditEntry]:
        self.digest.update(raw)
        data = _json(raw)
        if number == 1:
            if isinstance(data, dict) and data.get("archive") == MAGIC and data.get("v") == VERSION:
                self.header = data
            else:
                self.report.problem(
                    "1 行目が kokin の操作ログのアーカイブの見出しではありません",
                    "line 1 is not the header of a kokin operation-log archive",
                )
            return
        try:
            yield entry_of(data)
        except (ValueError, TypeError) as exc:
            self.report.problem(
                f"{number} 行目が操作ログの記録の形式ではありません ({exc})",
                f"line {number} is not an operation-log entry ({exc})",
            )


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def check(path: Path, *, public_key: Ed25519PublicKey | None = None, keep: int = 1000) -> Report:
    """Check an archive file on its own: the chain inside it, its trailer, seal and checkpoint.

    ``public_key`` is the checkpoint key's (default: the hub's own); the MACs need the hub's audit key.
    """
    report = Report(path=path)
    try:
        report.sha256 = file_sha256(path)
    except OSError as exc:
        report.problem(f"ファイルを読めません ({exc.strerror})", f"the file cannot be read ({exc.strerror})")
        return report
    public_key = public_key or _local_public_key()
    try:
        with gzip.open(path, "rb") as fh:
            lines = _Lines(fh, report)
            _check_chain(lines, report, keep)
    except (OSError, EOFError, zlib.error) as exc:
        report.problem(
            f"gzip として読めません: 壊れているか途中で切れています ({exc})",
            f"cannot be read as gzip: damaged or cut short ({exc})",
        )
        return report
    if lines.header is None or lines.trailer is None:
        return report
    _check_trailer(lines.header, lines.trailer, lines.digest.hexdigest(), report, public_key)
    return report


def _check_chain(lines: _Lines, report: Report, keep: int) -> None:
    first: AuditEntry | None = None
    last: AuditEntry | None = None

    def counted() -> Iterator[AuditEntry]:
        nonlocal first, last
        for entry in lines:
            if first is None:
                first = entry
            last = entry
            report.count += 1
            yield entry

    entries = counted()
    head = next(entries, None)
    if head is None:
        if lines.header is not None:
            report.problem("記録が 1 件もありません", "the archive holds no entry")
        return
    start_seq = lines.header["first_seq"] if lines.header else head.seq
    start_mac = lines.header["first_prev_mac"] if lines.header else head.prev_mac
    breaks: Iterator[Break] = verify(_chain(head, entries), start_seq=start_seq, start_mac=start_mac)
    for found in breaks:
        report.break_count += 1
        if report.break_count <= keep:
            report.problem(
                f"連番 {found.seq}: {found.message_ja}",
                f"entry {found.seq}: {found.message_en}",
            )
    assert first is not None and last is not None
    report.first_seq, report.first_prev_mac = first.seq, first.prev_mac
    report.last_seq, report.last_mac = last.seq, last.mac


def _chain(head: AuditEntry, rest: Iterator[AuditEntry]) -> Iterator[AuditEntry]:
    yield head
    yield from rest


def _check_trailer(
    header: dict[str, Any], trailer: dict[str, Any], digest: str, report: Report, public_key: Ed25519PublicKey | None
) -> None:
    expected = {
        "first_seq": report.first_seq,
        "first_prev_mac": report.first_prev_mac,
        "last_seq": report.last_seq,
        "last_mac": report.last_mac,
        "count": report.count,
        "lines_sha256": digest,
    }
    for name, value in expected.items():
        if trailer.get(name) != value:
            report.problem(
                f"末尾の {name} ({trailer.get(name)}) が中身 ({value}) と一致しません",
                f"the trailer's {name} ({trailer.get(name)}) does not match the contents ({value})",
            )
    for name in ("first_seq", "first_prev_mac", "hub"):
        if header.get(name) != trailer.get(name):
            report.problem(
                f"見出しの {name} が末尾と一致しません (見出しの改ざんの疑い)",
                f"the header's {name} does not match the trailer (header edited?)",
            )
    hub = checkpoints.hub_id()
    if trailer.get("hub") != hub:
        report.problem(
            f"別のハブ ({trailer.get('hub')}) のアーカイブです (このハブの鍵では確かめられません)",
            f"an archive of another hub ({trailer.get('hub')}); this hub's keys cannot check it",
        )
    if public_key is None:
        report.problem(
            f"署名鍵 {signing.key_path(checkpoints.directory())} がないため署名を確認できません (--public-key で指定)",
            "the checkpoint key is missing, so the signatures cannot be checked (give it with --public-key)",
        )
        return
    fp = signing.fingerprint(public_key)
    if trailer.get("key") != fp:
        report.problem(
            f"別の鍵 {trailer.get('key')} で署名されています (その公開鍵を --public-key で指定、または偽造の疑い)",
            f"signed with another key {trailer.get('key')} (give its public key with --public-key, or forged?)",
        )
        return
    if not isinstance(trailer.get("seal"), str) or not signing.valid(
        public_key, seal_payload(trailer), trailer["seal"]
    ):
        report.problem(
            "アーカイブの署名が一致しません (見出し・末尾・記録の並びの改ざんの疑い)",
            "the archive's seal does not match (header, trailer or entries changed?)",
        )
    try:
        cp = checkpoints.parse(json.dumps(trailer.get("checkpoint")))
    except ValueError:
        report.problem("末尾のチェックポイントが読めません", "the trailer's checkpoint cannot be read")
        return
    if not signing.valid(public_key, cp.payload(), cp.sig) or cp.key != fp or cp.hub != hub:
        report.problem(
            "最後の記録のチェックポイントの署名が一致しません (偽造の疑い)",
            "the checkpoint of the last entry does not verify (forged?)",
        )
    elif cp.seq != report.last_seq or not hmac.compare_digest(cp.mac, report.last_mac):
        report.problem(
            f"チェックポイント (連番 {cp.seq}) が最後の記録 (連番 {report.last_seq}) と一致しません",
            f"the checkpoint (entry {cp.seq}) is not of the last entry (entry {report.last_seq})",
        )
    else:
        report.checkpoint = cp


def _local_public_key() -> Ed25519PublicKey | None:
    key = signing.private_key(checkpoints.directory(), create=False)
    return key.public_key() if key is not None else None
