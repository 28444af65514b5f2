"""``kokin audit``: check the operation log's hash chain and signed checkpoints, take a checkpoint,
export the log as CSV, archive the entries past the retention and check an archive file.

Exit status: 0 done (the chain is intact and matches its checkpoints), 1 the chain is broken or does
not match them (or an archive failed), 2 the command was used wrongly. The commands are logged
themselves (actions ``audit_verify``, ``audit_checkpoint``, ``audit_export``, ``log_archive`` and
``audit_verify_archive``), with the operating-system account that ran them as the operator; the
``--every`` loop is not (it would move the head it anchors).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path
from typing import IO, Any

import click

from kokin.audit.actor import Actor
from kokin.django_setup import django_setup

#: how many breaks ``verify`` lists before it only counts
SHOW_BREAKS = 1000


@click.group()
def audit() -> None:
    """The operation log (操作ログ): verify the hash chain and checkpoints, take a checkpoint, export CSV."""


def _show_checkpoints(report: Any, *, kept: bool = False) -> None:
    for warning in report.warnings:
        click.echo(f"WARNING {warning}", err=True)
    for problem in report.problems[:SHOW_BREAKS]:
        click.echo(f"BROKEN {problem}")
    if len(report.problems) > SHOW_BREAKS:
        more = len(report.problems) - SHOW_BREAKS
        click.echo(f"... ほか {more} 件 / {more} more")
    if not report.ok:
        return
    latest, after = report.latest, report.after
    what_ja, what_en = ("控えのチェックポイント", "kept checkpoints") if kept else ("チェックポイント", "checkpoints")
    if latest is None:
        click.echo(
            f"OK {what_ja}はまだありません。{after} 件が最新のチェックポイントの後にあります / "
            f"no {what_en} yet; {after} entries after the latest checkpoint"
        )
        return
    click.echo(
        f"OK {what_ja} {report.checked} 件の署名と一致を確認、最新は連番 {latest.seq} ({latest.when})。"
        f"その後に {after} 件 / {report.checked} {what_en} signed and matching, the latest at entry "
        f"{latest.seq} ({latest.when}); {after} entries after the latest checkpoint"
    )


@audit.command("verify")
@click.option(
    "--checkpoint",
    "kept",
    default=None,
    help="控えのチェックポイント (kokin audit checkpoint の出力、その文字列かファイル) とも照合 / "
    "also check against a checkpoint kept elsewhere (the text of `kokin audit checkpoint`, or a file)",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="控えの確認に使う公開鍵 (PEM) / the public key (PEM) to check the kept checkpoint with",
)
def verify(kept: str | None, public_key: str | None) -> None:
    """Check every entry's MAC and link, and the log against its signed checkpoints: lists each edited,
    deleted, inserted or reordered entry, newest entries deleted, an older copy restored, a removed
    checkpoint file and a forged checkpoint."""
    if public_key and kept is None:
        raise click.BadParameter(
            "--public-key は --checkpoint と一緒に使います / goes with --checkpoint", param_hint="--public-key"
        )
    django_setup()
    from kokin.audit import anchors, preceding, signing
    from kokin.audit.services import check, record

    anchored = anchors.check()
    archives = preceding.check()
    external = None
    if kept is not None:
        text = kept if "{" in kept else Path(kept).read_text(encoding="utf-8")
        key = signing.load_public_key(Path(public_key).read_text(encoding="ascii")) if public_key else None
        external = anchors.check_kept(text, key)
    result = check(keep=SHOW_BREAKS)
    problems = len(anchored.problems) + (len(external.problems) if external else 0)
    ok = result.ok and problems == 0 and archives.ok
    record(
        action="audit_verify",
        actor=Actor.command(),
        object="operation log",
        outcome="success" if ok else "failure",
        detail={
            "entries": result.count,
            "breaks": result.break_count,
            "checkpoint_problems": problems,
            "checkpoint": anchored.latest.seq if anchored.latest else None,
            **(
                {
                    "start": result.start_seq,
                    "archives": len(archives.archives),
                    "archive_problems": len(archives.problems),
                }
                if archives.archives
                else {}
            ),
        },
    )
    _show_archives(archives, result.start_seq)
    if result.ok:
        click.echo(
            f"OK {result.count} entries: 操作ログは連結しており改ざんはありません / the chain is intact "
            f"(最終 連番 / last entry {result.head_seq}, MAC {result.head_mac[:16]})"
        )
    for found in result.breaks:
        click.echo(f"BROKEN {found}")
    if result.break_count > len(result.breaks):
        more = result.break_count - len(result.breaks)
        click.echo(f"... ほか {more} か所 / {more} more")
    _show_checkpoints(anchored)
    if external is not None:
        _show_checkpoints(external, kept=True)
    if ok:
        return
    if not result.ok:
        click.echo(
            f"NG: {result.count} 件中 {result.break_count} か所で操作ログの連結が壊れています (改ざんの疑い) / "
            f"the chain is broken at {result.break_count} places in {result.count} entries",
            err=True,
        )
    if problems:
        click.echo(
            f"NG: 操作ログが署名付きチェックポイントと {problems} か所で一致しません (削除・巻き戻し・改ざんの疑い) / "
            f"the log disagrees with its signed checkpoints at {problems} places (deleted, rolled back or forged?)",
            err=True,
        )
    if not archives.ok:
        click.echo(
            f"NG: 先行するアーカイブに {len(archives.problems)} 件の問題があります / "
            f"{len(archives.problems)} problems with the archives before the database's chain",
            err=True,
        )
    sys.exit(1)


def _show_archives(report: Any, start_seq: int) -> None:
    """The archives the database's chain follows (``verify``)."""
    for archive in report.archives:
        click.echo(
            f"アーカイブ / archive {archive.name}: 連番 / entries {archive.first_seq}-{archive.last_seq} "
            f"({archive.count} 件), SHA-256 {archive.sha256}"
        )
    for warning in report.warnings:
        click.echo(f"WARNING {warning}", err=True)
    for problem in report.problems:
        click.echo(f"BROKEN {problem}")
    if report.archives:
        click.echo(
            f"データベースの操作ログは連番 {start_seq} から、直前のアーカイブの最後の MAC に続けて確かめます / "
            f"the database's chain is checked from entry {start_seq}, chained to the last MAC of the archive before it"
        )


@audit.command("checkpoint")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=None,
    help="この秒数ごとに書き続ける (ハブと並べて動かす) / keep writing one every SECONDS (run beside the hub)",
)
@click.option("--public-key", "show_key", is_flag=True, help="署名の公開鍵を表示 / print the signing key's public key")
@click.option(
    "--new-file",
    is_flag=True,
    help="消えたチェックポイントファイルを新しく始める (記録されます) / start a new checkpoint file after "
    "the old one was lost (logged)",
)
def checkpoint(every: int | None, show_key: bool, new_file: bool) -> None:
    """Write a signed checkpoint of the log's head and print it for an auditor to keep elsewhere; with
    --every, keep writing one whenever the head has moved (Ctrl-C or SIGTERM writes a last one)."""
    django_setup()
    from kokin.audit import checkpoints, signing

    if show_key:
        key = signing.private_key(checkpoints.directory())
        assert key is not None
        public = key.public_key()
        click.echo(f"署名鍵 / signing key {signing.fingerprint(public)} ({signing.key_path(checkpoints.directory())})")
        click.echo(signing.public_key_pem(public), nl=False)
        return
    if every is not None:
        _checkpoint_loop(every)
        return
    from kokin.audit.services import record

    record(
        action="audit_checkpoint",
        actor=Actor.command(),
        object="operation log",
        detail={"new_file": new_file} if new_file else {},
    )
    cp = checkpoints.of_head()
    assert cp is not None  # the entry just written
    if not checkpoints.append(cp, new_file=new_file):
        click.echo(
            f"ERROR チェックポイントファイル {checkpoints.file_path()} が消えています。バックアップから戻すか "
            f"--new-file で新しく始めてください / the checkpoint file is gone: restore it, or start a new one "
            "with --new-file",
            err=True,
        )
        sys.exit(1)
    click.echo("操作ログのチェックポイント / operation-log checkpoint")
    click.echo(f"  ハブ / hub:            {cp.hub}")
    click.echo(f"  連番 / entry:          {cp.seq}  ({cp.entry_at})")
    click.echo(f"  MAC:                   {cp.mac}")
    click.echo(f"  作成 / taken:          {cp.at}")
    click.echo(f"  署名鍵 / signing key:  {cp.key}")
    click.echo(f"  署名 / signature:      {cp.sig}")
    click.echo(
        "次の 1 行を紙または別のシステムに控えてください (照合: kokin audit verify --checkpoint) / "
        "keep the next line on paper or in another system (check with kokin audit verify --checkpoint):"
    )
    click.echo(cp.line())


def _checkpoint_loop(every: int) -> None:
    import signal
    import threading

    from django.db import DatabaseError, close_old_connections

    from kokin.audit import checkpoints

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # a last checkpoint, then out
        signal.signal(signum, lambda *_: stop.set())
    last: tuple[int, str] | None = None
    click.echo(
        f"{every} 秒ごとに操作ログのチェックポイントを {checkpoints.file_path()} に書きます / "
        f"writing an operation-log checkpoint every {every} s to {checkpoints.file_path()}"
    )
    while True:
        close_old_connections()
        try:
            cp = checkpoints.of_head()
            if cp is not None and (cp.seq, cp.mac) != last and checkpoints.append(cp):
                last = (cp.seq, cp.mac)
                click.echo(f"checkpoint: 連番 / entry {cp.seq}")
        except (DatabaseError, OSError) as exc:
            click.echo(f"ERROR チェックポイントを書けません / cannot write a checkpoint: {exc}", err=True)
        if stop.is_set():
            return
        stop.wait(every)


@audit.command("export")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (YYYY-MM-DD), included.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (YYYY-MM-DD), included.")
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "cp932"]),
    default="utf-8-sig",
    show_default=True,
    help="UTF-8 with BOM (opens in Excel), UTF-8, or cp932 (Shift_JIS).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The CSV file to write.")
def export(since: dt.datetime | None, until: dt.datetime | None, encoding: str, output: str) -> None:
    """Write the entries of a period (local days, both included) as CSV with a Japanese header."""
    if since and until and since > until:
        raise click.BadParameter(
            "--until は --since 以降の日付にしてください / must not be before --since", param_hint="--until"
        )
    django_setup()
    from kokin.audit import selectors
    from kokin.audit.export import Written, write_csv
    from kokin.audit.services import record
    from kokin.formats.files import write_atomic

    first, last = (since.date() if since else None), (until.date() if until else None)
    rows = selectors.entries(since=first, until=last).iterator(chunk_size=2000)
    written = Written()

    def write(out: IO[bytes]) -> None:
        nonlocal written
        written = write_csv(out, rows, encoding=encoding)

    write_atomic(output, write)
    with open(output, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    period: dict[str, Any] = {
        "since": first.isoformat() if first else None,
        "until": last.isoformat() if last else None,
    }
    record(
        action="audit_export",
        actor=Actor.command(),
        object=str(Path(output).resolve())[-255:],
        sha256=digest,
        detail={"rows": written.rows, "encoding": encoding, "escaped": written.escaped, **period},
    )
    if written.escaped:
        click.echo(
            f"WARNING {written.escaped} 個のセルに {encoding} で表せない文字があり \\uXXXX で書きました / "
            f"{written.escaped} cells had characters {encoding} cannot hold (written as \\uXXXX)",
            err=True,
        )
    click.echo(f"{output}: {written.rows} 件 / entries, SHA-256 {digest}")


@audit.command("archive")
@click.option(
    "--before",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="この日 (0 時、現地時刻) より前の記録だけ (保存期間より前に限る) / only entries before this day "
    "(local midnight; never within the retention)",
)
@click.option("--dry-run", is_flag=True, help="アーカイブせず、対象を表示する / list what would be archived")
def archive(before: dt.datetime | None, dry_run: bool) -> None:
    """Move the entries older than the retention (KOKIN_RETAIN_OPERATION_LOG_DAYS and _ACCESS_LOG_DAYS,
    the longer) to an archive file under KOKIN_ARCHIVE_DIR/audit, checked before they leave the database.

    Also part of ``kokin retention run``. Exit status: 0 done (or nothing due), 1 an archive failed
    (nothing of it was removed), 2 the command was used wrongly."""
    django_setup()
    from django.utils import timezone

    from kokin.audit import archiving, retention

    when = timezone.make_aware(before) if before is not None else None
    try:
        archiving.cut(when)
    except archiving.ArchiveError as exc:
        raise click.BadParameter(str(exc), param_hint="--before") from exc
    for cls in retention.CLASSES[:2]:
        click.echo(f"保存期間 / retention {cls.label} ({cls.variable}): {cls.days} 日 / days")
    if dry_run:
        due = archiving.due(before=when, limit=None)
        click.echo(archiving.describe_due(due, archiving.cut(when)))
        return
    try:
        made = archiving.archive(actor=Actor.command(), before=when)
    except archiving.ArchiveError as exc:
        click.echo(f"ERROR {exc}", err=True)
        sys.exit(1)
    for done in made:
        click.echo(archiving.describe(done))
    if not made:
        click.echo(archiving.describe_due(None, archiving.cut(when)))


@audit.command("verify-archive")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="署名の確認に使う公開鍵 (PEM、既定はこのハブの鍵) / the checkpoint key's public key (PEM; default: the hub's)",
)
def verify_archive(file: str, public_key: str | None) -> None:
    """Check an archive file on its own, without the database: the chain inside it from its first entry's
    prev_mac, its signed checkpoint and seal. Exit status 0 intact, 1 not."""
    django_setup()
    from django.db import DatabaseError

    from kokin.audit import archive_file, signing
    from kokin.audit.models import AuditArchive
    from kokin.audit.services import record

    key = signing.load_public_key(Path(public_key).read_text(encoding="ascii")) if public_key else None
    path = Path(file)
    report = archive_file.check(path, public_key=key, keep=SHOW_BREAKS)
    try:  # the file is checked without the database; it says more when the database is there
        row = AuditArchive.objects.filter(name=path.name).first()
        if row is not None and row.sha256 != report.sha256:
            report.problem(
                f"このハブが記録した {row.name} の SHA-256 ({row.sha256}) と違います",
                f"not the {row.name} this hub recorded (SHA-256 {row.sha256})",
            )
        record(
            action="audit_verify_archive",
            actor=Actor.command(),
            object=path.name,
            sha256=report.sha256,
            outcome="success" if report.ok else "failure",
            detail={"entries": report.count, "first_seq": report.first_seq, "last_seq": report.last_seq},
        )
    except DatabaseError as exc:
        click.echo(f"WARNING データベースなしで確認しました / checked without the database ({exc})", err=True)
    for problem in report.problems:
        click.echo(f"BROKEN {problem}")
    if report.break_count > SHOW_BREAKS:
        more = report.break_count - SHOW_BREAKS
        click.echo(f"... ほか {more} か所 / {more} more")
    if report.ok:
        assert report.checkpoint is not None
        click.echo(
            f"OK {path}: 連番 {report.first_seq}～{report.last_seq} の {report.count} 件は連結しており、"
            f"最後の記録のチェックポイント ({report.checkpoint.when}、鍵 {report.checkpoint.key}) と署名が一致します / "
            f"entries {report.first_seq}-{report.last_seq} ({report.count}) chain intact, the checkpoint of the "
            f"last entry and the seal verify (SHA-256 {report.sha256})"
        )
        return
    click.echo(
        f"NG: アーカイブ {path} は検証に失敗しました ({len(report.problems)} 件の問題、改ざん・破損の疑い) / "
        f"the archive failed verification ({len(report.problems)} problems: changed or damaged?)",
        err=True,
    )
    sys.exit(1)
