"""Checking the operation log against its signed checkpoints (:mod:`kokin.audit.checkpoints`).

:func:`check` compares the database with every checkpoint in the hub's file, :func:`check_kept` with
checkpoints kept elsewhere (a copy on paper or on another machine): a checkpointed entry missing from
the database or with another MAC, a line whose signature, key or hub does not match, and a log that
says a file was started while the file is gone are problems; ``kokin audit verify`` fails on them. A
checkpoint of an entry since archived (:mod:`kokin.audit.archiving`) is not looked for in the database.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from kokin.audit import signing
from kokin.audit.checkpoints import (
    GRACE_INTERVALS,
    Checkpoint,
    Line,
    directory,
    file_path,
    hub_id,
    parse,
    read,
    started,
)
from kokin.audit.models import AuditArchive, AuditEntry


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
    #: checkpoints of entries since moved to archive files (checked there, not in the database)
    archived: int = 0

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
    # entries moved to archive files are checked there; an archive's last entry is also on its row
    archived = dict(AuditArchive.objects.values_list("last_seq", "last_mac"))
    floor = max(archived, default=0)
    by_seq: dict[int, list[Checkpoint]] = {}
    for cp in good:
        if cp.seq <= floor:
            report.archived += 1
            if cp.seq in archived and not hmac.compare_digest(archived[cp.seq], cp.mac):
                report.problem(
                    f"アーカイブ済みの連番 {cp.seq} は {cp.when} のチェックポイントが署名した記録と違います",
                    f"the archived entry {cp.seq} is not the one the checkpoint of {cp.when} signed",
                )
        elif cp.seq <= head and cp.mac not in {c.mac for c in by_seq.get(cp.seq, [])}:
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
