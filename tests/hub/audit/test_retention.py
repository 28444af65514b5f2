"""Retention of the operation log: entries older than the retention move to an archive file that checks
on its own (``kokin audit verify-archive``), the database's chain goes on from the archive's last MAC
(``kokin audit verify``), and nothing is removed that is not safely in a file.

Real entries (written by :func:`record` with the clock set back), real files, the real database
triggers; SQLite and (with ``DATABASE_URL``) PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import gzip
import hashlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.core import checks
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from kokin.audit import archive_file, archiving, checkpoints, preceding, signing
from kokin.audit.actor import Actor
from kokin.audit.models import AuditArchive, AuditEntry
from kokin.audit.services import check, record
from kokin.cli import main
from support.audit import triggers_disabled

KOKIN = str(Path(sys.executable).with_name("kokin"))
#: older than the default retention of the operation log (1827 days)
LONG_AGO = dt.timedelta(days=2000)


@pytest.fixture(autouse=True)
def archive_dir(settings: Any, tmp_path: Path) -> Path:
    settings.ARCHIVE_DIR = tmp_path / "archive"
    return tmp_path / "archive"


def written_at(when: dt.datetime, n: int, *, action: str = "test", start: int = 0) -> list[AuditEntry]:
    """``n`` entries written by the hub's own :func:`record`, the clock set to ``when`` (a second apart)."""
    real_now = timezone.now
    made = []
    try:
        for i in range(start, start + n):
            timezone.now = lambda i=i: when + dt.timedelta(seconds=i)  # type: ignore[assignment]
            made.append(
                record(
                    action=action,
                    actor=Actor(name=f"tester-{i % 3}"),
                    object=f"file-{i}",
                    detail={"i": i, "名": "口座振替"},
                )
            )
    finally:
        timezone.now = real_now  # type: ignore[assignment]
    return made


def old_and_new(old: int = 30, new: int = 5) -> tuple[list[AuditEntry], list[AuditEntry]]:
    return written_at(timezone.now() - LONG_AGO, old), written_at(timezone.now(), new, start=old)


def take_checkpoint(entry: AuditEntry | None = None) -> checkpoints.Checkpoint:
    cp = (
        checkpoints.make(seq=entry.seq, mac=entry.mac, entry_at=entry.at)
        if entry is not None
        else checkpoints.of_head()
    )
    assert cp is not None and checkpoints.append(cp)
    return cp


def kokin(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def archive_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def rewrite(path: Path, lines: list[dict[str, Any]]) -> None:
    body = b"".join(
        json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n" for d in lines
    )
    path.write_bytes(gzip.compress(body))


@pytest.fixture
def archived(db: None, archive_dir: Path) -> Iterator[Path]:
    """30 entries past the retention and 5 recent ones, a checkpoint of the 30th, archived by the command."""
    old, _ = old_and_new()
    take_checkpoint(old[-1])
    outcome = kokin("audit", "archive")
    assert outcome.exit_code == 0, outcome.output
    yield archive_dir / "audit" / "audit-000000000001-000000000030.jsonl.gz"


# --- archiving ---------------------------------------------------------------------------------------


def test_entries_past_the_retention_move_to_a_file_and_both_chains_verify(archived: Path) -> None:
    assert archived.exists() and archived.stat().st_mode & 0o777 == 0o600
    assert not AuditEntry.objects.filter(seq__lte=30).exists()
    assert AuditEntry.objects.order_by("seq").first().seq == 31  # type: ignore[union-attr]
    boundary = AuditArchive.objects.get()
    sha256 = hashlib.sha256(archived.read_bytes()).hexdigest()
    assert (boundary.first_seq, boundary.last_seq, boundary.count, boundary.name) == (1, 30, 30, archived.name)
    assert boundary.sha256 == sha256
    assert boundary.last_mac == AuditEntry.objects.get(seq=31).prev_mac
    logged = AuditEntry.objects.get(action="log_archive")
    assert logged.outcome == "success" and logged.object == archived.name and logged.sha256 == sha256
    assert logged.detail | {"before": None} == {
        "first_seq": 1,
        "last_seq": 30,
        "count": 30,
        "views": 0,
        "last_mac": boundary.last_mac,
        "before": None,
        "file": str(archived),
    }

    verified = kokin("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"アーカイブ / archive {archived.name}: 連番 / entries 1-30 (30 件), SHA-256 {sha256}" in verified.output
    assert "the database's chain is checked from entry 31" in verified.output
    assert "データベースの操作ログは連番 31 から" in verified.output
    assert AuditEntry.objects.filter(action="audit_verify").last().detail["archives"] == 1  # type: ignore[union-attr]

    alone = kokin("audit", "verify-archive", str(archived))
    assert alone.exit_code == 0, alone.output
    assert alone.output.startswith(f"OK {archived}: 連番 1～30 の 30 件は連結しており")
    assert "entries 1-30 (30) chain intact" in alone.output


def test_the_archive_holds_the_entries_as_they_were_with_a_signed_checkpoint_of_the_last(db: None) -> None:
    old, _ = old_and_new(8, 2)
    [done] = archiving.archive(actor=Actor.command())
    lines = archive_lines(archiving.retention.archive_dir("audit") / done.archive.name)
    header, entries, trailer = lines[0], lines[1:-1], lines[-1]
    assert (
        header["archive"] == "kokin operation log" and header["first_seq"] == 1 and header["first_prev_mac"] == "0" * 64
    )
    assert entries == [archive_file.entry_data(e) for e in old]
    cp = checkpoints.parse(json.dumps(trailer["checkpoint"]))
    assert (cp.seq, cp.mac, trailer["last_seq"], trailer["count"]) == (8, old[-1].mac, 8, 8)
    key = signing.private_key(checkpoints.directory())
    assert key is not None and signing.valid(key.public_key(), cp.payload(), cp.sig)


def test_page_views_share_the_chain_and_its_longer_retention(db: None, settings: Any) -> None:
    """The access log is a filter on actions of the one chain: it is cut where the longer period ends."""
    written_at(timezone.now() - LONG_AGO, 4, action="view")
    written_at(timezone.now() - LONG_AGO, 3, start=4)
    settings.RETAIN_ACCESS_LOG_DAYS = 2500  # longer than the operation log's: nothing is due yet
    assert archiving.due() is None
    settings.RETAIN_ACCESS_LOG_DAYS = 365
    due = archiving.due()
    assert due is not None and (due.first_seq, due.last_seq, due.count, due.views) == (1, 7, 7, 4)
    dry = kokin("audit", "archive", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "アーカイブ予定 / would archive: 連番 / entries 1-7 (7 件、うち閲覧 / page views 4)" in dry.output
    assert "KOKIN_RETAIN_OPERATION_LOG_DAYS): 1827 日" in dry.output
    assert AuditEntry.objects.count() == 7 and not AuditArchive.objects.exists()  # a dry run changes nothing
    assert not (settings.ARCHIVE_DIR / "audit").exists()


def test_before_archives_only_older_entries_and_never_inside_the_retention(db: None) -> None:
    base = timezone.now() - LONG_AGO
    written_at(base - dt.timedelta(days=2), 3)
    written_at(base, 3, start=3)
    day = timezone.localtime(base - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    outcome = kokin("audit", "archive", "--before", day)
    assert outcome.exit_code == 0, outcome.output
    assert AuditArchive.objects.get().last_seq == 3
    late = kokin("audit", "archive", "--before", timezone.localdate().isoformat())
    assert late.exit_code == 2
    assert "保存期間 (1827 日) の記録はアーカイブできません" in late.output
    assert "entries within the retention (1827 days) cannot be archived" in late.output


def test_running_again_archives_nothing_more(archived: Path) -> None:
    again = kokin("audit", "archive")
    assert again.exit_code == 0, again.output
    assert "アーカイブする記録はありません" in again.output and "nothing to archive" in again.output
    assert AuditArchive.objects.count() == 1 and AuditEntry.objects.filter(action="log_archive").count() == 1
    assert sorted(p.name for p in archived.parent.iterdir()) == [archiving.LOCK, archived.name]
    retention = kokin("retention", "run")
    assert retention.exit_code == 0, retention.output
    assert AuditArchive.objects.count() == 1 and kokin("audit", "verify").exit_code == 0


def test_a_large_log_goes_into_several_files_that_chain_on_from_one_another(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archiving, "BATCH", 10)
    old, _ = old_and_new(25, 3)
    made = archiving.archive(actor=Actor.command())
    assert [(a.archive.first_seq, a.archive.last_seq) for a in made] == [(1, 10), (11, 20), (21, 25)]
    assert made[1].archive.first_prev_mac == made[0].archive.last_mac == old[9].mac
    for done in made:
        report = archive_file.check(archiving.retention.archive_dir("audit") / done.archive.name)
        assert report.ok, [str(p) for p in report.problems]
    assert check().ok and check().start_seq == 26 and preceding.check().ok
    assert kokin("audit", "verify").exit_code == 0


def test_retention_run_archives_the_log_with_the_files(db: None, archive_dir: Path) -> None:
    old_and_new(6, 2)
    outcome = kokin("retention", "run")
    assert outcome.exit_code == 0, outcome.output
    assert "アーカイブ / archived: 連番 / entries 1-6 (6 件)" in outcome.output
    assert (archive_dir / "audit" / "audit-000000000001-000000000006.jsonl.gz").exists()


# --- tampering ---------------------------------------------------------------------------------------


def test_one_byte_changed_in_the_archive_file_fails_its_verification(archived: Path) -> None:
    data = bytearray(archived.read_bytes())
    data[len(data) // 2] ^= 0x01
    archived.write_bytes(bytes(data))
    outcome = kokin("audit", "verify-archive", str(archived))
    assert outcome.exit_code == 1, outcome.output
    assert "gzip として読めません" in outcome.output and "cannot be read as gzip" in outcome.output
    assert "NG: アーカイブ" in outcome.output and "the archive failed verification" in outcome.output
    logged = AuditEntry.objects.filter(action="audit_verify_archive").get()
    assert logged.outcome == "failure" and logged.object == archived.name
    # the database's verify sees the file is no longer the one recorded
    verified = kokin("audit", "verify")
    assert verified.exit_code == 1
    assert (
        "has another SHA-256 than recorded" in verified.output and "先行するアーカイブに 1 件の問題" in verified.output
    )


def test_an_entry_edited_inside_a_recompressed_archive_breaks_its_chain(archived: Path) -> None:
    lines = archive_lines(archived)
    lines[5]["actor"] = "mallory"  # entry 5
    rewrite(archived, lines)
    outcome = kokin("audit", "verify-archive", str(archived))
    assert outcome.exit_code == 1
    assert "entry 5: its content changed after it was written (edited?)" in outcome.output
    assert "連番 5: 内容が記録時から変更されています" in outcome.output
    assert "the trailer's lines_sha256" in outcome.output  # the signed trailer no longer fits the lines
    assert "not the audit-000000000001-000000000030.jsonl.gz this hub recorded" in outcome.output


def test_entries_cut_from_the_front_of_an_archive_are_found_by_the_seal(archived: Path) -> None:
    lines = archive_lines(archived)
    first_kept = lines[4]  # entry 4 becomes the first
    lines = [lines[0] | {"first_seq": 4, "first_prev_mac": first_kept["prev_mac"]}, *lines[4:]]
    lines[-1] |= {"first_seq": 4, "first_prev_mac": first_kept["prev_mac"], "count": 27}
    rewrite(archived, lines)
    report = archive_file.check(archived)
    assert not report.ok
    messages = [p.message_en for p in report.problems]
    assert "the archive's seal does not match (header, trailer or entries changed?)" in messages
    assert report.break_count == 0  # the shortened chain itself still links: the seal is what shows it


def test_a_missing_trailer_is_named(archived: Path) -> None:
    rewrite(archived, archive_lines(archived)[:-1])
    outcome = kokin("audit", "verify-archive", str(archived))
    assert outcome.exit_code == 1
    assert "the trailer is missing (the file is cut short, or its end removed)" in outcome.output


def test_the_first_remaining_entry_with_another_prev_mac_fails_verify(archived: Path) -> None:
    with triggers_disabled():
        sql("UPDATE audit_auditentry SET prev_mac = %s WHERE seq = 31", ["f" * 64])
    outcome = kokin("audit", "verify")
    assert outcome.exit_code == 1
    assert "entry 31: does not chain to the entry before it" in outcome.output
    assert "entry 31: its content changed after it was written" in outcome.output


def test_the_database_refuses_to_delete_entries_no_archive_covers(archived: Path) -> None:
    with pytest.raises(IntegrityError, match="cannot be deleted unless archived"), transaction.atomic():
        sql("DELETE FROM audit_auditentry WHERE seq = 31")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(seq__gte=31).delete()
    with pytest.raises(IntegrityError, match="cannot be"), transaction.atomic():
        sql("UPDATE audit_auditentry SET actor = 'mallory' WHERE seq = 31")
    assert AuditEntry.objects.filter(seq=31).exists() and check().ok


def test_a_boundary_row_inserted_by_hand_lets_entries_go_but_verify_finds_it(archived: Path) -> None:
    head = AuditEntry.objects.get(seq=33)
    AuditArchive.objects.create(
        name="audit-000000000031-000000000033.jsonl.gz",
        sha256="0" * 64,
        first_seq=31,
        first_prev_mac=AuditEntry.objects.get(seq=31).prev_mac,
        last_seq=33,
        last_mac=head.mac,
        count=3,
        before=timezone.now(),
        archived_at=timezone.now(),
    )
    sql("DELETE FROM audit_auditentry WHERE seq <= 33")  # the trigger lets them go: a row covers them
    assert check().ok  # the rest chains on from the forged row's MAC
    outcome = kokin("audit", "verify")
    assert outcome.exit_code == 1
    assert "the log has no log_archive entry for the newest archive" in outcome.output
    assert "最新のアーカイブ audit-000000000031-000000000033.jsonl.gz を記録した操作ログ" in outcome.output


def test_an_archive_moved_to_other_storage_warns_and_still_verifies_there(archived: Path, tmp_path: Path) -> None:
    moved = tmp_path / "offline" / archived.name
    moved.parent.mkdir()
    archived.rename(moved)
    outcome = kokin("audit", "verify")
    assert outcome.exit_code == 0, outcome.output
    assert f"the archive file {archived} is not there (moved elsewhere?" in outcome.output
    assert kokin("audit", "verify-archive", str(moved)).exit_code == 0


def test_an_archive_checks_with_the_public_key_when_the_hub_key_is_gone(
    archived: Path, settings: Any, tmp_path: Path
) -> None:
    key = signing.private_key(checkpoints.directory())
    assert key is not None
    pem = tmp_path / "checkpoint.pub"
    pem.write_text(signing.public_key_pem(key.public_key()))
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "elsewhere"
    without = archive_file.check(archived)
    assert [p.message_en for p in without.problems] == [
        "the checkpoint key is missing, so the signatures cannot be checked (give it with --public-key)"
    ]
    outcome = kokin("audit", "verify-archive", str(archived), "--public-key", str(pem))
    assert outcome.exit_code == 0, outcome.output
    signing.private_key(checkpoints.directory())  # another key made for the new folder
    other = kokin("audit", "verify-archive", str(archived))
    assert other.exit_code == 1 and f"signed with another key {signing.fingerprint(key.public_key())}" in other.output


# --- faults ------------------------------------------------------------------------------------------


def test_an_archive_folder_that_cannot_be_written_removes_nothing(db: None, settings: Any, tmp_path: Path) -> None:
    old_and_new(10, 2)
    (tmp_path / "a-file").write_text("not a folder")
    settings.ARCHIVE_DIR = tmp_path / "a-file" / "archive"
    outcome = kokin("audit", "archive")
    assert outcome.exit_code == 1
    assert (
        f"ERROR アーカイブファイルを {settings.ARCHIVE_DIR / 'audit'} に書けません (Not a directory)" in outcome.output
    )
    assert "データベースからは何も削除していません" in outcome.output
    assert "nothing was removed from the database" in outcome.output
    assert AuditEntry.objects.filter(seq__lte=10).count() == 10 and not AuditArchive.objects.exists()
    failed = AuditEntry.objects.get(action="log_archive")
    assert failed.outcome == "error" and failed.detail["count"] == 10
    assert check().ok and check().start_seq == 1
    # once the folder is fixed, the next run does it
    settings.ARCHIVE_DIR = tmp_path / "archive"
    assert kokin("audit", "archive").exit_code == 0
    assert AuditArchive.objects.get().last_seq == 10 and kokin("audit", "verify").exit_code == 0


def test_a_second_run_while_one_is_running_removes_nothing(db: None, archive_dir: Path) -> None:
    old_and_new(4, 1)
    (archive_dir / "audit").mkdir(parents=True)
    with open(archive_dir / "audit" / archiving.LOCK, "w") as running:
        fcntl.flock(running, fcntl.LOCK_EX)  # as a run in another process holds it
        outcome = kokin("audit", "archive")
    assert outcome.exit_code == 1
    assert "別の操作ログのアーカイブ" in outcome.output and "is running" in outcome.output
    assert AuditEntry.objects.filter(seq__lte=4).count() == 4 and not AuditArchive.objects.exists()
    assert kokin("audit", "archive").exit_code == 0 and AuditArchive.objects.get().count == 4


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (tmpfs); needs the right to mount."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_while_the_archive_is_written_removes_nothing(
    db: None, settings: Any, tiny_disk: Path, tmp_path: Path
) -> None:
    start = timezone.now() - LONG_AGO
    real_now = timezone.now
    try:  # entries that do not compress: more than the disk holds
        for i in range(700):
            timezone.now = lambda i=i: start + dt.timedelta(seconds=i)  # type: ignore[assignment]
            record(action="test", actor=Actor(name="tester"), detail={"noise": secrets.token_hex(64)})
    finally:
        timezone.now = real_now  # type: ignore[assignment]
    settings.ARCHIVE_DIR = tiny_disk
    outcome = kokin("audit", "archive")
    assert outcome.exit_code == 1, outcome.output
    assert "No space left on device" in outcome.output and "nothing was removed" in outcome.output
    assert os.listdir(tiny_disk / "audit") == [archiving.LOCK]  # the partial file is gone
    assert AuditEntry.objects.filter(seq__lte=700).count() == 700 and not AuditArchive.objects.exists()
    settings.ARCHIVE_DIR = tmp_path / "archive"
    assert kokin("audit", "archive").exit_code == 0 and AuditArchive.objects.get().count == 700


# --- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting,variable",
    [
        ("RETAIN_OPERATION_LOG_DAYS", "KOKIN_RETAIN_OPERATION_LOG_DAYS"),
        ("RETAIN_ACCESS_LOG_DAYS", "KOKIN_RETAIN_ACCESS_LOG_DAYS"),
        ("RETAIN_INCIDENTS_DAYS", "KOKIN_RETAIN_INCIDENTS_DAYS"),
    ],
)
def test_a_retention_under_a_year_is_refused_by_the_system_check(setting: str, variable: str) -> None:
    with override_settings(**{setting: 364}):
        found = [(i.id, i.msg) for i in checks.run_checks(tags=["kokin"]) if i.id == "kokin.E201"]
    assert len(found) == 1
    assert found[0][1].startswith(f"{variable}=364: ")
    assert "保存期間は 365 日 (1 年) 以上にしてください" in found[0][1] and "must be at least 365 days" in found[0][1]
    with override_settings(**{setting: 365}):
        assert not [i for i in checks.run_checks(tags=["kokin"]) if i.id == "kokin.E201"]


def test_a_retention_that_is_no_number_or_too_short_stops_the_hub(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_", "PYTEST_"))}
    environ |= {
        "KOKIN_HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "kokin.web.settings",
        "KOKIN_RETAIN_OPERATION_LOG_DAYS": "5y",
        "KOKIN_RETAIN_INCIDENTS_DAYS": "30",
    }
    done = subprocess.run(
        [KOKIN, "hub", "serve", "--port", "1"], capture_output=True, text=True, env=environ, timeout=120, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "(kokin.E001) KOKIN_RETAIN_OPERATION_LOG_DAYS=5y: 整数ではありません" in done.stderr
    assert "(kokin.E201) KOKIN_RETAIN_INCIDENTS_DAYS=30: 完了したインシデントの保存期間は 365 日" in done.stderr
    assert "Traceback" not in done.stderr
