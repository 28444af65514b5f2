"""Signed checkpoints of the operation log's head: deleting the newest entries, restoring an older copy of
the database, removing the checkpoint file and forging a checkpoint are all found by ``kokin audit verify``.

The attacker has the database (the append-only triggers dropped, as :func:`triggers_disabled` does) but
not the checkpoint key. Runs on SQLite and (with ``DATABASE_URL``) PostgreSQL; the tests that copy a
database file run a real SQLite hub home through the ``kokin`` command.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from kokin.audit import anchors, checkpoints, signing
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import check, record
from kokin.cli import main
from support.audit import triggers_disabled

KOKIN = str(Path(sys.executable).with_name("kokin"))


def some_entries(n: int) -> list[AuditEntry]:
    return [
        record(action="test", actor=Actor(name=f"tester-{i % 3}"), object=f"file-{i}", detail={"i": i})
        for i in range(n)
    ]


def take_checkpoint() -> checkpoints.Checkpoint:
    cp = checkpoints.of_head()
    assert cp is not None and checkpoints.append(cp)
    return cp


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def run_verify(*args: str) -> Any:
    return CliRunner().invoke(main, ["audit", "verify", *args])


def lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / checkpoints.FILE).read_text().splitlines() if line]


# --- what the chain alone cannot see -----------------------------------------------------------


@pytest.mark.django_db
def test_deleting_the_newest_entries_fails_verify_though_the_chain_still_holds() -> None:
    some_entries(20)
    take_checkpoint()
    with triggers_disabled():
        sql("DELETE FROM audit_auditentry WHERE seq > 15")
    assert check().ok  # the shortened log still chains: this is what the checkpoint is for
    outcome = run_verify()
    assert outcome.exit_code == 1, outcome.output
    assert "the log ends at entry 15, but the checkpoint of" in outcome.output
    assert "covers entries up to 20: the newest 5 entries were deleted" in outcome.output
    assert "操作ログは連番 15 で終わっていますが" in outcome.output and "最新の 5 件が削除された" in outcome.output
    assert "NG: 操作ログが署名付きチェックポイントと 1 か所で一致しません" in outcome.output
    logged = AuditEntry.objects.filter(action="audit_verify").get()
    assert logged.outcome == "failure" and logged.detail["checkpoint_problems"] == 1


@pytest.mark.django_db
def test_new_entries_written_onto_the_shortened_log_do_not_hide_the_deletion() -> None:
    """Delete the tail and let the hub write on (the database rolled back and re-chained)."""
    some_entries(20)
    take_checkpoint()
    with triggers_disabled():
        sql("DELETE FROM audit_auditentry WHERE seq > 12")
    some_entries(10)  # entries 13-22 chain onto entry 12
    take_checkpoint()  # and a new checkpoint of the rewritten head
    assert check().ok and AuditEntry.objects.count() == 22
    outcome = run_verify()
    assert outcome.exit_code == 1, outcome.output
    assert "entry 20 is not the one the checkpoint of" in outcome.output
    assert "restored from an older copy and written on" in outcome.output
    assert "連番 20 は" in outcome.output and "古い複製に戻して書き足した疑い" in outcome.output


@pytest.mark.django_db
def test_restoring_an_older_copy_of_the_log_fails_verify() -> None:
    some_entries(10)
    copy = list(AuditEntry.objects.order_by("seq"))
    some_entries(10)
    take_checkpoint()
    with triggers_disabled():
        sql("DELETE FROM audit_auditentry")
        AuditEntry.objects.bulk_create(copy)
    assert check().ok
    outcome = run_verify()
    assert outcome.exit_code == 1
    assert "the log ends at entry 10, but the checkpoint of" in outcome.output
    assert "covers entries up to 20" in outcome.output


@pytest.mark.django_db
def test_entries_after_the_latest_checkpoint_pass_and_are_counted(audit_checkpoints: Path) -> None:
    some_entries(10)
    first = take_checkpoint()
    some_entries(5)
    outcome = run_verify()
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith("OK 16 entries")  # with the entry that started the file
    assert "OK チェックポイント 1 件の署名と一致を確認、最新は連番 10" in outcome.output
    assert "the latest at entry 10" in outcome.output and "6 entries after the latest checkpoint" in outcome.output
    # the first line started the file, which the log itself records
    start = AuditEntry.objects.get(action=checkpoints.START_ACTION)
    assert start.seq == 11 and start.detail["first_checkpoint"] == 10 and start.detail["key"] == first.key
    assert AuditEntry.objects.get(action="audit_verify").detail["checkpoint"] == 10


@pytest.mark.django_db
def test_fresh_log_without_a_checkpoint_yet_passes() -> None:
    some_entries(3)
    outcome = run_verify()
    assert outcome.exit_code == 0, outcome.output
    assert "no checkpoints yet; 3 entries after the latest checkpoint" in outcome.output


# --- the checkpoint file removed, emptied or edited ---------------------------------------------


@pytest.mark.parametrize("how", ["removed", "emptied"])
@pytest.mark.django_db
def test_a_removed_or_emptied_checkpoint_file_fails_verify(audit_checkpoints: Path, how: str) -> None:
    some_entries(5)
    take_checkpoint()
    path = audit_checkpoints / checkpoints.FILE
    if how == "removed":
        path.unlink()
    else:
        path.write_bytes(b"")
    outcome = run_verify()
    assert outcome.exit_code == 1, outcome.output
    assert "is missing or empty, but the log says it was started at entry 6" in outcome.output
    assert "がないか空です。操作ログによれば連番 6" in outcome.output and "削除・消去の疑い" in outcome.output


@pytest.mark.django_db
def test_no_writer_silently_starts_a_new_file_after_it_was_removed(audit_checkpoints: Path) -> None:
    some_entries(5)
    take_checkpoint()
    path = audit_checkpoints / checkpoints.FILE
    path.unlink()
    cp = checkpoints.of_head()
    assert cp is not None and not checkpoints.append(cp)  # the hub's writers refuse
    assert not path.exists() or path.read_bytes() == b""
    refused = CliRunner().invoke(main, ["audit", "checkpoint"])
    assert refused.exit_code == 1 and "--new-file" in refused.output
    assert run_verify().exit_code == 1
    started = CliRunner().invoke(main, ["audit", "checkpoint", "--new-file"])
    assert started.exit_code == 0, started.output
    starts = AuditEntry.objects.filter(action=checkpoints.START_ACTION).order_by("seq")
    assert starts.count() == 2  # the new start stays in the log for the auditor to see
    assert run_verify().exit_code == 0


@pytest.mark.django_db
def test_old_entries_without_any_checkpoint_fail_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    past = timezone.now() - dt.timedelta(minutes=10)
    monkeypatch.setattr(timezone, "now", lambda: past)
    some_entries(3)
    monkeypatch.undo()
    outcome = run_verify()
    assert outcome.exit_code == 1, outcome.output
    assert "but no checkpoint (the checkpoint file removed, or never written?)" in outcome.output
    assert "チェックポイントが 1 件もありません" in outcome.output


def _edit_seq(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "seq": 15}  # would make a truncation to 15 look covered


def _other_key(line: dict[str, Any]) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forger = Ed25519PrivateKey.generate()
    forged = checkpoints.Checkpoint(**{**line, "seq": 15, "key": signing.fingerprint(forger.public_key()), "sig": ""})
    return {**json.loads(forged.line()), "sig": signing.sign(forger, forged.payload())}


def _same_key_fingerprint(line: dict[str, Any]) -> dict[str, Any]:
    """A forger's signature under the hub's key fingerprint: the signature itself gives it away."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = checkpoints.Checkpoint(**{**line, "seq": 15, "sig": ""})
    return {**json.loads(forged.line()), "sig": signing.sign(Ed25519PrivateKey.generate(), forged.payload())}


@pytest.mark.parametrize(
    ("forge", "en", "ja"),
    [
        (_edit_seq, "checkpoint line 1: the signature does not match", "チェックポイント 1 行目: 署名が一致しません"),
        (_same_key_fingerprint, "checkpoint line 1: the signature does not match", "署名が一致しません"),
        (_other_key, "checkpoint line 1: signed with another key", "別の鍵"),
    ],
    ids=["edited", "forged-signature", "other-key"],
)
@pytest.mark.django_db
def test_an_edited_or_forged_checkpoint_line_fails_verify(
    audit_checkpoints: Path, forge: Callable[[dict[str, Any]], dict[str, Any]], en: str, ja: str
) -> None:
    some_entries(20)
    take_checkpoint()
    with triggers_disabled():
        sql("DELETE FROM audit_auditentry WHERE seq > 15")
    path = audit_checkpoints / checkpoints.FILE
    (line,) = lines(audit_checkpoints)
    path.write_text(json.dumps(forge(line)) + "\n")
    outcome = run_verify()
    assert outcome.exit_code == 1, outcome.output
    assert en in outcome.output and ja in outcome.output


@pytest.mark.django_db
def test_a_line_that_is_not_a_checkpoint_fails_verify_but_a_torn_last_line_only_warns(audit_checkpoints: Path) -> None:
    some_entries(3)
    take_checkpoint()
    path = audit_checkpoints / checkpoints.FILE
    with path.open("ab") as fh:
        fh.write(b'{"v":1,"seq":')  # a write cut short by a crash
    outcome = run_verify()
    assert outcome.exit_code == 0, outcome.output
    assert "WARNING checkpoint line 2: cut short" in outcome.output
    take_checkpoint()  # the next line starts on a line of its own (entry 4 is the verify's own)
    assert [line["seq"] for line in lines_ignoring_torn(path)] == [3, 5]
    with path.open("ab") as fh:
        fh.write(b"not a checkpoint\n")
    outcome = run_verify()
    assert outcome.exit_code == 1 and "checkpoint line 4: not a checkpoint (edited?)" in outcome.output


def lines_ignoring_torn(path: Path) -> list[dict[str, Any]]:
    out = []
    for text in path.read_text().splitlines():
        try:
            out.append(json.loads(text))
        except json.JSONDecodeError:
            continue
    return out


# --- when checkpoints are written --------------------------------------------------------------


@pytest.mark.django_db
def test_every_nth_entry_and_any_entry_after_a_quiet_minute_is_checkpointed_after_commit(
    settings: Any, audit_checkpoints: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_CHECKPOINT_EVERY = 10
    with django_capture_on_commit_callbacks(execute=True):
        some_entries(25)
    # the first entry started the file (nothing was anchored yet), then every 10th
    assert [line["seq"] for line in lines(audit_checkpoints)] == [1, 10, 20]
    assert AuditEntry.objects.get(action=checkpoints.START_ACTION).seq == 26
    path = audit_checkpoints / checkpoints.FILE
    old = time.time() - settings.AUDIT_CHECKPOINT_SECONDS - 1
    os.utime(path, (old, old))
    with django_capture_on_commit_callbacks(execute=True):
        written = some_entries(2)
    assert [line["seq"] for line in lines(audit_checkpoints)] == [1, 10, 20, written[0].seq]
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record(action="test", actor=Actor(name="tester"))
        raise RuntimeError("rolled back")
    assert not callbacks  # an entry rolled back is never checkpointed


def _append_many(cp: checkpoints.Checkpoint, n: int) -> None:
    for _ in range(n):
        checkpoints.append(cp)


@pytest.mark.django_db
def test_several_writer_processes_append_whole_lines(audit_checkpoints: Path) -> None:
    some_entries(1)
    first = take_checkpoint()
    ctx = multiprocessing.get_context("fork")  # the children only append to a started file: no database
    workers = [ctx.Process(target=_append_many, args=(first, 200)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert all(w.exitcode == 0 for w in workers)
    found = checkpoints.read()
    assert found is not None and len(found) == 801
    assert all(line.checkpoint == first for line in found)
    report = anchors.check()
    assert report.ok and report.checked == 801, report.problems
    assert stat.S_IMODE((audit_checkpoints / checkpoints.FILE).stat().st_mode) == 0o600


@pytest.mark.django_db
def test_checkpoints_also_go_to_syslog_when_configured(settings: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        settings.AUDIT_CHECKPOINT_SYSLOG = f"127.0.0.1:{server.getsockname()[1]}"
        some_entries(2)
        cp = take_checkpoint()
        message = server.recv(4096).decode()
    assert message.startswith("<86>kokin-audit-checkpoint: {")  # authpriv.info
    assert checkpoints.parse(message[message.index("{") :].rstrip("\x00")) == cp


# --- the key ---------------------------------------------------------------------------------


def test_the_signing_key_is_a_private_file_created_once(tmp_path: Path) -> None:
    keys: list[Any] = []
    threads = [threading.Thread(target=lambda: keys.append(signing.private_key(tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    path = signing.key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len({signing.fingerprint(k.public_key()) for k in keys}) == 1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    assert signing.private_key(tmp_path / "elsewhere", create=False) is None


@pytest.mark.django_db
def test_auditor_keeps_a_checkpoint_and_verify_checks_the_log_against_it(tmp_path: Path) -> None:
    some_entries(8)
    taken = CliRunner().invoke(main, ["audit", "checkpoint"])
    assert taken.exit_code == 0, taken.output
    assert "連番 / entry:          9" in taken.output and "署名 / signature:" in taken.output
    kept_line = taken.output.strip().splitlines()[-1]
    assert checkpoints.parse(kept_line).seq == 9
    assert AuditEntry.objects.get(seq=9).action == "audit_checkpoint"
    shown = CliRunner().invoke(main, ["audit", "checkpoint", "--public-key"])
    pem = tmp_path / "kokin-checkpoint.pub"
    pem.write_text(shown.output[shown.output.index("-----BEGIN") :])
    kept = tmp_path / "kept.txt"
    kept.write_text(taken.output)

    good = run_verify("--checkpoint", str(kept), "--public-key", str(pem))
    assert good.exit_code == 0, good.output
    assert "OK 控えのチェックポイント 1 件" in good.output
    assert run_verify("--checkpoint", kept_line).exit_code == 0
    assert run_verify("--public-key", str(pem)).exit_code == 2  # nothing to check it with

    with triggers_disabled():
        sql("DELETE FROM audit_auditentry WHERE seq > 5")
    (audit_dir := checkpoints.directory()).joinpath(checkpoints.FILE).unlink()  # the local file is gone too
    outcome = run_verify("--checkpoint", str(kept), "--public-key", str(pem))
    assert outcome.exit_code == 1
    assert "BROKEN kept: the log ends at entry 5, but the checkpoint of" in outcome.output
    assert "控え: 操作ログは連番 5 で終わっています" in outcome.output
    forged = kept_line.replace('"seq":9', '"seq":5')
    outcome = run_verify("--checkpoint", forged, "--public-key", str(pem))
    assert "kept: checkpoint line 1: the signature does not match" in outcome.output
    assert audit_dir.is_dir()


# --- the auditor's page -------------------------------------------------------------------------


def test_auditor_page_shows_the_checkpoint_check(login_as: Callable[..., Client]) -> None:
    client = login_as("auditor")
    some_entries(4)
    taken = take_checkpoint()
    page = client.get("/audit/", {"verify": "1"}).content.decode()
    assert "署名付きチェックポイント: 異常なし" in page and f"最新は連番 {taken.seq} (" in page
    with triggers_disabled():
        sql("DELETE FROM audit_auditentry WHERE seq > 2")
    page = client.get("/audit/", {"verify": "1"}).content.decode()
    assert "操作ログは連番 2 で終わっていますが" in page


# --- a real hub home: SQLite file copies, the every-minute process --------------------------------


def home_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DATABASE_URL"))}
    env.update(
        {"KOKIN_HOME": str(home), "DJANGO_SETTINGS_MODULE": "kokin.web.settings", "KOKIN_AUDIT_CHECKPOINT_EVERY": "2"}
    )
    env.update(extra)
    return env


def kokin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KOKIN, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub home with a migrated SQLite database and nothing logged yet, to copy from."""
    home = tmp_path_factory.mktemp("migrated-home")
    done = kokin(home_env(home), "manage", "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def hub_home(migrated: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    for name in ("kokin.sqlite3", "secrets.json"):
        shutil.copy2(migrated / name, home / name)
    return home


def test_restoring_an_older_copy_of_the_sqlite_file_fails_verify(hub_home: Path) -> None:
    env = home_env(hub_home)
    assert kokin(env, "audit", "checkpoint").returncode == 0
    database = hub_home / "kokin.sqlite3"
    old = database.read_bytes()
    assert kokin(env, "audit", "checkpoint").returncode == 0
    assert kokin(env, "audit", "checkpoint").returncode == 0
    database.write_bytes(old)  # the attacker puts back yesterday's copy
    outcome = kokin(env, "audit", "verify")
    assert outcome.returncode == 1, outcome.stdout
    assert "the chain is intact" in outcome.stdout  # the copy chains on its own
    assert "the newest" in outcome.stdout and "restored from an older copy" in outcome.stdout
    # the hub writes on (the verify above, a checkpoint): entry numbers reused with other MACs
    assert kokin(env, "audit", "checkpoint").returncode == 0
    outcome = kokin(env, "audit", "verify")
    assert outcome.returncode == 1 and "is not the one the checkpoint of" in outcome.stdout


def test_the_checkpoint_process_anchors_the_head_while_nobody_writes_and_stops_on_sigterm(hub_home: Path) -> None:
    env = home_env(hub_home, KOKIN_AUDIT_CHECKPOINT_EVERY="0", KOKIN_AUDIT_CHECKPOINT_SECONDS="3600")
    folder = hub_home / "audit"
    loop = subprocess.Popen(
        [KOKIN, "audit", "checkpoint", "--every", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert kokin(env, "audit", "verify").returncode == 0  # its entry starts the file at once
        second = kokin(env, "audit", "verify")  # and this one is left to the process
        assert second.returncode == 0 and second.stdout.startswith("OK 2 entries")
        head = 3
        deadline = time.monotonic() + 30
        while max(line["seq"] for line in lines(folder)) < head:
            assert time.monotonic() < deadline, lines(folder)
            time.sleep(0.2)
    finally:
        loop.send_signal(signal.SIGTERM)
        out, err = loop.communicate(timeout=30)
    assert loop.returncode == 0, err
    assert f"checkpoint: 連番 / entry {head}" in out.decode()
    outcome = kokin(env, "audit", "verify")
    assert outcome.returncode == 0 and "0 entries after the latest checkpoint" in outcome.stdout
