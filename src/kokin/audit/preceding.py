"""The archives that precede the database's chain, as ``kokin audit verify`` checks them.

The database's chain starts where the newest archive ends (:func:`kokin.audit.services.check`). Here the
boundary rows themselves: they must follow one another from entry 1 without a gap; the newest must match
its ``log_archive`` entry, which is in the database's chain (written after the entries it archived) and
so cannot be forged without the audit key; every row whose entry is still in the database must match it
too; and an archive file still in ``KOKIN_ARCHIVE_DIR/audit`` must have the SHA-256 recorded (a file
moved to other storage is a warning: check it there with ``kokin audit verify-archive``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kokin.audit import archive_file, retention
from kokin.audit.models import AuditArchive, AuditEntry
from kokin.audit.services import GENESIS

ACTION = "log_archive"


@dataclass(frozen=True)
class Problem:
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_en} / {self.message_ja}"


@dataclass
class Report:
    archives: list[AuditArchive] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, ja: str, en: str) -> None:
        self.problems.append(Problem(ja, en))


def path_of(archive: AuditArchive) -> Path:
    return retention.archive_dir("audit") / archive.name


def check() -> Report:
    report = Report(archives=list(AuditArchive.objects.order_by("first_seq")))
    prev_seq, prev_mac = 0, GENESIS
    for archive in report.archives:
        name = archive.name
        if archive.first_seq != prev_seq + 1 or archive.first_prev_mac != prev_mac:
            report.problem(
                f"アーカイブ {name} (連番 {archive.first_seq}～) は直前のアーカイブ (連番 {prev_seq} まで) に"
                "続いていません",
                f"the archive {name} (entries from {archive.first_seq}) does not follow the one before it "
                f"(up to entry {prev_seq})",
            )
        if archive.count != archive.last_seq - archive.first_seq + 1:
            report.problem(
                f"アーカイブ {name} の件数 {archive.count} が連番の範囲と一致しません",
                f"the archive {name} counts {archive.count} entries, not its range",
            )
        _match_entry(archive, newest=archive is report.archives[-1], report=report)
        _match_file(archive, report)
        prev_seq, prev_mac = archive.last_seq, archive.last_mac
    return report


def _match_entry(archive: AuditArchive, *, newest: bool, report: Report) -> None:
    """The ``log_archive`` entry that recorded ``archive``: it must say the same."""
    entry = AuditEntry.objects.filter(action=ACTION, outcome="success", object=archive.name).order_by("-seq").first()
    if entry is None:
        if newest:
            report.problem(
                f"最新のアーカイブ {archive.name} を記録した操作ログ (log_archive) がありません (境界の偽造の疑い)",
                f"the log has no log_archive entry for the newest archive {archive.name} (boundary forged?)",
            )
        return  # an older archive's entry may itself be archived since
    said = entry.detail
    recorded = (said.get("first_seq"), said.get("last_seq"), said.get("count"), said.get("last_mac"), entry.sha256)
    if recorded != (archive.first_seq, archive.last_seq, archive.count, archive.last_mac, archive.sha256):
        report.problem(
            f"アーカイブ {archive.name} の境界が操作ログの記録 (連番 {entry.seq}) と一致しません (改ざんの疑い)",
            f"the archive {archive.name} does not match the log's entry {entry.seq} that recorded it (changed?)",
        )


def _match_file(archive: AuditArchive, report: Report) -> None:
    path = path_of(archive)
    try:
        sha256 = archive_file.file_sha256(path)
    except FileNotFoundError:
        report.warnings.append(
            Problem(
                f"アーカイブファイル {path} がありません (別の保管先に移した場合は kokin audit verify-archive で確認)",
                f"the archive file {path} is not there (moved elsewhere? check it with kokin audit verify-archive)",
            )
        )
        return
    except OSError as exc:
        report.problem(
            f"アーカイブファイル {path} を読めません ({exc.strerror})",
            f"the archive file {path} cannot be read ({exc.strerror})",
        )
        return
    if sha256 != archive.sha256:
        report.problem(
            f"アーカイブファイル {path} の SHA-256 が記録と違います (作成後に変更された疑い)",
            f"the archive file {path} has another SHA-256 than recorded (changed since it was written?)",
        )
