"""Moving the operation log's oldest entries to an archive file (操作ログのアーカイブ), for ``kokin audit
archive`` and ``kokin retention run``.

Nothing leaves the database that is not first in a file that checks:

1. the entries due (:func:`due`): the consecutive entries after the newest archive that were written
   before the cut (:func:`kokin.audit.retention.log_cut`, or an earlier ``--before``), at most
   :data:`BATCH` a file;
2. written to ``KOKIN_ARCHIVE_DIR/audit/audit-<first>-<last>.jsonl.gz`` (:mod:`kokin.audit.archive_file`:
   temporary file, fsync, rename; then the folder fsynced);
3. the file read back and checked on its own — chain, seal, checkpoint, and the same range, count and
   MACs as the database;
4. one transaction: the ``log_archive`` entry (which takes the chain's lock, and keeps the newest entry
   past the archived range so the chain goes on from it), the boundary row
   (:class:`~kokin.audit.models.AuditArchive`), the deletion (the database's trigger lets go only the
   entries a boundary row covers), and the count deleted compared with the file's.

A failure before step 4 deletes nothing: it is logged (``log_archive``, outcome ``error``), and a file
that did not check is removed. A failure in step 4 rolls it back and leaves the file, which the next run
writes again (same name, same range); a file without a boundary row is only ever such a leftover.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from kokin.audit import archive_file, retention
from kokin.audit.actor import Actor
from kokin.audit.models import AuditArchive, AuditEntry
from kokin.audit.services import record
from kokin.formats.errors import KokinError
from kokin.formats.files import fsync_dir

log = logging.getLogger(__name__)

ACTION = "log_archive"
#: entries written to one file at most; a run writes as many files as it needs
BATCH = 200_000
#: the file in the archive folder that one run at a time holds locked
LOCK = ".lock"


class ArchiveError(KokinError):
    """The archive could not be made; nothing was removed from the database."""


@dataclass(frozen=True)
class Due:
    """The entries due for the archive."""

    first_seq: int
    last_seq: int
    count: int
    #: of them, page views (the access log, :data:`kokin.audit.retention.ACCESS_ACTIONS`)
    views: int
    before: dt.datetime


@dataclass(frozen=True)
class Archived:
    """One archive made: the boundary row and the ``log_archive`` entry that records it."""

    archive: AuditArchive
    entry: AuditEntry


def boundary() -> AuditArchive | None:
    """The newest archive: the database's chain goes on after its ``last_seq``."""
    return AuditArchive.objects.order_by("-last_seq").first()


def cut(before: dt.datetime | None = None) -> dt.datetime:
    """``before``, or the retention's cut; a ``before`` later than the retention allows is refused."""
    allowed = retention.log_cut()
    if before is None:
        return allowed
    if before > allowed:
        days = retention.log_days()
        raise ArchiveError(
            f"保存期間 ({days} 日) の記録はアーカイブできません: {_local(allowed)} より前の日時を指定してください",
            f"entries within the retention ({days} days) cannot be archived: give a time before {_local(allowed)}",
        )
    return before


def due(*, before: dt.datetime | None = None, limit: int | None = None) -> Due | None:
    """The entries to archive now (at most ``limit``), or ``None``."""
    before = cut(before)
    newest = boundary()
    start = newest.last_seq + 1 if newest else 1
    rest = AuditEntry.objects.filter(seq__gte=start)
    newer = rest.filter(at__gte=before).order_by("seq").values_list("seq", flat=True).first()
    if newer is not None:
        rest = rest.filter(seq__lt=newer)
    if limit is not None:
        rest = rest.filter(seq__lt=start + limit)
    found = rest.aggregate(
        first=Min("seq"),
        last=Max("seq"),
        n=Count("seq"),
        views=Count("seq", filter=Q(action__in=retention.ACCESS_ACTIONS)),
    )
    if not found["n"]:
        return None
    return Due(found["first"], found["last"], found["n"], found["views"], before)


def file_name(first_seq: int, last_seq: int) -> str:
    return f"audit-{first_seq:012d}-{last_seq:012d}.jsonl.gz"


def archive(*, actor: Actor, before: dt.datetime | None = None) -> list[Archived]:
    """Archive every entry due, a file per :data:`BATCH`; ``ArchiveError`` on the first that fails
    (the ones before it stay archived).

    One run at a time per archive folder (an exclusive ``flock`` on its :data:`LOCK` file): a second
    run that had planned the same range would rewrite the file the first has just recorded."""
    first = due(before=before, limit=BATCH)
    if first is None:
        return []
    folder = retention.archive_dir("audit")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _failed(
            first,
            actor,
            folder / file_name(first.first_seq, first.last_seq),
            f"アーカイブファイルを {folder} に書けません ({exc.strerror or exc})。"
            "データベースからは何も削除していません",
            f"cannot write archive files in {folder} ({exc.strerror or exc}); nothing was removed from the database",
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ArchiveError(
                "別の操作ログのアーカイブ (kokin audit archive または kokin retention run) が実行中です",
                "another archive of the operation log (kokin audit archive or kokin retention run) is running",
            ) from exc
        made: list[Archived] = []
        while (batch := due(before=before, limit=BATCH)) is not None:  # again, now that this run is alone
            made.append(archive_batch(batch, actor=actor))
        return made
    finally:
        os.close(fd)  # releases the lock


def archive_batch(batch: Due, *, actor: Actor) -> Archived:
    """Steps 2–4 for one batch (see the module)."""
    folder = retention.archive_dir("audit")
    path = folder / file_name(batch.first_seq, batch.last_seq)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        rows = AuditEntry.objects.filter(seq__gte=batch.first_seq, seq__lte=batch.last_seq).order_by("seq")
        written = archive_file.write(path, rows.iterator(chunk_size=2000), before=batch.before)
        fsync_dir(folder)
    except OSError as exc:
        raise _failed(
            batch,
            actor,
            path,
            f"アーカイブファイル {path} を書けません ({exc.strerror or exc})。データベースからは何も削除していません",
            f"cannot write the archive file {path} ({exc.strerror or exc}); nothing was removed from the database",
        ) from exc
    report = archive_file.check(path)
    same = (report.first_seq, report.last_seq, report.count, report.sha256) == (
        batch.first_seq,
        batch.last_seq,
        batch.count,
        written.sha256,
    )
    if not report.ok or not same:
        path.unlink(missing_ok=True)
        reasons = "; ".join(str(p) for p in report.problems[:3]) or "range or count differs"
        raise _failed(
            batch,
            actor,
            path,
            f"書いたアーカイブファイルの検証に失敗したため削除しました ({reasons})。"
            "データベースからは何も削除していません",
            f"the archive file written did not verify and was removed ({reasons}); "
            "nothing was removed from the database",
        )
    return _commit(batch, written, actor)


def _commit(batch: Due, written: archive_file.Written, actor: Actor) -> Archived:
    with transaction.atomic():
        entry = record(
            action=ACTION,
            actor=actor,
            object=written.path.name,
            sha256=written.sha256,
            detail={
                "first_seq": written.first_seq,
                "last_seq": written.last_seq,
                "count": written.count,
                "views": batch.views,
                "last_mac": written.last_mac,
                "before": batch.before.isoformat(timespec="seconds"),
                "file": str(written.path)[-255:],
            },
        )
        inside = AuditEntry.objects.filter(seq__gte=written.first_seq, seq__lte=written.last_seq)
        ends = dict(inside.filter(seq__in=[written.first_seq, written.last_seq]).values_list("seq", "prev_mac"))
        last_mac = inside.filter(seq=written.last_seq).values_list("mac", flat=True).first()
        older = AuditEntry.objects.filter(seq__lt=written.first_seq).exists()
        if older or ends.get(written.first_seq) != written.first_prev_mac or last_mac != written.last_mac:
            raise ArchiveError(
                "アーカイブの作成中に操作ログの範囲が変わりました。もう一度実行してください",
                "the log's range changed while the archive was written; run again",
            )
        archived = AuditArchive.objects.create(
            name=written.path.name,
            sha256=written.sha256,
            first_seq=written.first_seq,
            first_prev_mac=written.first_prev_mac,
            last_seq=written.last_seq,
            last_mac=written.last_mac,
            count=written.count,
            before=batch.before,
            archived_at=timezone.now(),
        )
        deleted, _ = AuditEntry.objects.filter(seq__lte=written.last_seq).delete()
        if deleted != written.count:
            raise ArchiveError(
                f"削除した件数 {deleted} がアーカイブの件数 {written.count} と一致しません (取り消しました)",
                f"{deleted} entries deleted but the archive holds {written.count} (rolled back)",
            )
    return Archived(archived, entry)


def _failed(batch: Due, actor: Actor, path: Path, ja: str, en: str) -> ArchiveError:
    """Log the failure (outside any transaction that rolls back) and make the error to raise."""
    try:
        record(
            action=ACTION,
            actor=actor,
            object=path.name,
            outcome="error",
            detail={"first_seq": batch.first_seq, "last_seq": batch.last_seq, "count": batch.count, "error": en},
        )
    except DatabaseError:
        log.exception("could not log the failed archive of entries %s-%s", batch.first_seq, batch.last_seq)
    return ArchiveError(ja, en)


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).isoformat(timespec="seconds")


def describe(done: Archived) -> str:
    """One line for the commands: what was archived, where."""
    a = done.archive
    return (
        f"アーカイブ / archived: 連番 / entries {a.first_seq}-{a.last_seq} ({a.count} 件) → "
        f"{retention.archive_dir('audit') / a.name}  SHA-256 {a.sha256}"
    )


def describe_due(found: Due | None, before: dt.datetime) -> str:
    """One line for ``--dry-run``: what would be archived."""
    if found is None:
        return (
            f"アーカイブする記録はありません ({_local(before)} より前) / nothing to archive (before {_local(before)})"
        )
    return (
        f"アーカイブ予定 / would archive: 連番 / entries {found.first_seq}-{found.last_seq} ({found.count} 件、"
        f"うち閲覧 / page views {found.views}), {_local(before)} より前 / before"
    )
