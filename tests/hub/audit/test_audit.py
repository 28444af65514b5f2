"""The operation log (操作ログ): the hash chain, tamper detection, append-only triggers, the events
it records, the CSV export and the auditor's page. Runs on SQLite and (with ``DATABASE_URL``) PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib.admin.sites import all_sites
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.audit.export import HEADER, read_csv
from kokin.audit.models import AuditEntry
from kokin.audit.services import GENESIS, check, record, verify
from kokin.cli import main
from support.audit import flush_allowed, triggers_disabled

LoginAs = Callable[..., Client]
JST = dt.timezone(dt.timedelta(hours=9))


def entries(action: str, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("seq"))


def some_entries(n: int) -> list[AuditEntry]:
    return [
        record(
            action="test", actor=Actor(name=f"tester-{i % 3}"), object=f"file-{i}", detail={"i": i, "名前": "口座振替"}
        )
        for i in range(n)
    ]


def run_verify() -> Any:
    return CliRunner().invoke(main, ["audit", "verify"])


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def breaks_at() -> set[int]:
    return {b.seq for b in verify()}


# --- the chain ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chain_of_many_entries_verifies_and_each_links_to_the_one_before() -> None:
    written = some_entries(300)
    assert written[0].prev_mac == GENESIS
    assert all(b.prev_mac == a.mac for a, b in itertools.pairwise(written))
    assert [e.seq for e in written] == list(range(1, 301))
    result = check()
    assert result.ok and result.count == 300 and result.head_seq == 300
    outcome = run_verify()
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith("OK 300 entries")
    assert entries("audit_verify")[0].detail == {
        "entries": 300,
        "breaks": 0,
        "checkpoint_problems": 0,
        "checkpoint": None,
    }


@pytest.mark.django_db
def test_empty_log_verifies() -> None:
    assert run_verify().output.startswith("OK 0 entries")


def tamper_update(victim: int) -> None:
    sql("UPDATE audit_auditentry SET actor = %s WHERE seq = %s", ["mallory", victim])


def tamper_detail(victim: int) -> None:
    sql("UPDATE audit_auditentry SET outcome = %s WHERE seq = %s", ["denied", victim])


def tamper_delete(victim: int) -> None:
    sql("DELETE FROM audit_auditentry WHERE seq = %s", [victim])


def tamper_insert(victim: int) -> None:
    """Make room at ``victim`` by renumbering the later entries, then put a forged entry there."""
    sql("UPDATE audit_auditentry SET seq = -seq WHERE seq >= %s", [victim])
    sql("UPDATE audit_auditentry SET seq = 1 - seq WHERE seq < 0")
    before = AuditEntry.objects.get(seq=victim - 1)
    sql(
        "INSERT INTO audit_auditentry (seq, at, actor, role, department, client_ip, cert_fingerprint, action,"
        " object, sha256, outcome, detail, prev_mac, mac)"
        " VALUES (%s, %s, 'mallory', '', '', '', '', 'login', '', '', 'success', '{}', %s, %s)",
        [victim, before.at, before.mac, "f" * 64],
    )


def tamper_swap(victim: int) -> None:
    sql("UPDATE audit_auditentry SET seq = -1 WHERE seq = %s", [victim])
    sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [victim, victim + 1])
    sql("UPDATE audit_auditentry SET seq = %s WHERE seq = -1", [victim + 1])


def tamper_relink(victim: int) -> None:
    """Delete an entry and repair the next one's link and number: its MAC still gives it away."""
    gone = AuditEntry.objects.get(seq=victim)
    sql("DELETE FROM audit_auditentry WHERE seq = %s", [victim])
    sql("UPDATE audit_auditentry SET seq = 1 - seq WHERE seq > %s", [victim])  # negative first: seq is unique
    sql("UPDATE audit_auditentry SET seq = -seq WHERE seq < 0")
    sql("UPDATE audit_auditentry SET prev_mac = %s WHERE seq = %s", [gone.prev_mac, victim])


@pytest.mark.parametrize(
    ("tamper", "reason_en", "reason_ja"),
    [
        (tamper_update, "content changed", "内容が記録時から変更されています"),
        (tamper_detail, "content changed", "内容が記録時から変更されています"),
        (tamper_delete, "entry 8 before it is missing", "直前の連番 8 が欠落しています"),
        (tamper_insert, "content changed", "内容が記録時から変更されています"),
        (tamper_swap, "does not chain", "直前の記録との連結が一致しません"),
        (tamper_relink, "content changed", "内容が記録時から変更されています"),
    ],
    ids=["update", "update-outcome", "delete", "insert", "swap", "delete-and-relink"],
)
@pytest.mark.django_db
def test_tampering_with_the_database_fails_verify_naming_the_entry(
    tamper: Callable[[int], None], reason_en: str, reason_ja: str
) -> None:
    some_entries(20)
    victim = 8
    victim_named = victim + 1 if tamper is tamper_delete else victim  # a deletion shows at the entry after it
    with triggers_disabled():
        tamper(victim)
    found = list(verify())
    assert found and found[0].seq == victim_named, [str(b) for b in found]
    assert any(reason_en in b.message_en and b.seq == victim_named for b in found)
    outcome = run_verify()
    assert outcome.exit_code == 1
    assert f"entry {victim_named}: " in outcome.output and reason_en in outcome.output
    assert f"連番 {victim_named}: {reason_ja}" in outcome.output
    assert "NG:" in outcome.output
    logged = entries("audit_verify")[-1]
    assert logged.outcome == "failure" and logged.detail["breaks"] == len(found)


@pytest.mark.django_db
def test_several_deleted_entries_are_named_as_a_range() -> None:
    some_entries(12)
    with triggers_disabled():
        sql("DELETE FROM audit_auditentry WHERE seq BETWEEN 4 AND 6")
    output = run_verify().output
    assert "entry 7: entries 4-6 before it are missing (deleted?)" in output
    assert "連番 7: 直前の連番 4～6 が欠落しています" in output


@pytest.mark.django_db
def test_forged_entry_appended_at_the_end_is_found() -> None:
    last = some_entries(5)[-1]
    with triggers_disabled():
        sql(
            "INSERT INTO audit_auditentry (seq, at, actor, role, department, client_ip, cert_fingerprint, action,"
            " object, sha256, outcome, detail, prev_mac, mac)"
            " VALUES (6, %s, 'mallory', '', '', '', '', 'logout', '', '', 'success', '{}', %s, %s)",
            [last.at, last.mac, "0" * 64],
        )
    assert breaks_at() == {6}
    assert "entry 6: its content changed" in run_verify().output


@pytest.mark.django_db
def test_a_changed_audit_key_breaks_every_entry(settings: Any) -> None:
    some_entries(3)
    settings.AUDIT_KEY = b"another key" * 3
    assert breaks_at() == {1, 2, 3}


@pytest.mark.django_db
def test_an_entry_writes_the_actor_as_it_is_and_a_role_given_replaces_its_own() -> None:
    actor = Actor("zeimu-send", "操作担当者", "税務課", "10.1.2.3", "AB" * 32)
    written = record(action="test", actor=actor, object="file-1")
    assert (written.actor, written.role, written.department, written.client_ip, written.cert_fingerprint) == (
        "zeimu-send",
        "操作担当者",
        "税務課",
        "10.1.2.3",
        "AB" * 32,
    )
    assert record(action="test", actor=actor, role="送信").role == "送信"
    command = record(action="test", actor=Actor.command())
    assert command.actor.startswith("os:") and command.role == "コマンド" and command.client_ip == ""
    assert check().ok


# --- append-only -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_database_refuses_update_and_delete_of_entries() -> None:
    entry = some_entries(3)[1]
    for statement in (
        "UPDATE audit_auditentry SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_auditentry WHERE seq = 2",
    ):
        with pytest.raises(IntegrityError, match="operation-log entries cannot be"), transaction.atomic():
            sql(statement)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor="mallory")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            sql("TRUNCATE audit_auditentry")
    assert AuditEntry.objects.get(seq=2).actor == entry.actor
    assert AuditEntry.objects.count() == 3 and check().ok


@pytest.mark.django_db
def test_the_application_refuses_to_change_or_delete_an_entry() -> None:
    entry = some_entries(1)[0]
    entry.actor = "mallory"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_no_admin_site_offers_the_operation_log() -> None:
    for site in all_sites:
        assert AuditEntry not in site._registry, site.name


# --- export ------------------------------------------------------------------------------------


@pytest.fixture
def dated_entries(db: None, monkeypatch: pytest.MonkeyPatch) -> list[AuditEntry]:
    """Entries at chosen times (JST): around the 31 March / 1 April boundary, with awkward text."""
    made = []
    for when, actor, obj in [
        (dt.datetime(2021, 3, 31, 23, 59, 59, 999999, tzinfo=JST), "zeimu-view", "/"),
        (dt.datetime(2021, 4, 1, 0, 0, tzinfo=JST), '=HYPERLINK("http://evil")', "user:=cmd"),
        (dt.datetime(2021, 4, 15, 9, 30, tzinfo=JST), "'quoted", "ファイル 髙橋 ①"),
        (dt.datetime(2021, 4, 30, 23, 59, tzinfo=JST), "kokuho-send", "smile 😀"),
        (dt.datetime(2021, 5, 1, 0, 0, tzinfo=JST), "kaigo-send", "/later"),
    ]:
        monkeypatch.setattr(timezone, "now", lambda when=when: when.astimezone(dt.UTC))
        made.append(
            record(
                action="view",
                actor=Actor(name=actor),
                object=obj,
                sha256="ab" * 32,
                detail={"件数": 3, "note": "改行\nあり"},
            )
        )
    monkeypatch.undo()
    return made


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_export_writes_the_period_as_csv_that_reads_back(
    dated_entries: list[AuditEntry], tmp_path: Path, encoding: str
) -> None:
    out = tmp_path / "log.csv"
    args = ["audit", "export", "--since", "2021-04-01", "--until", "2021-04-30", "--encoding", encoding, "-o", out]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert "3 件 / entries" in result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    rows = list(read_csv(data, encoding=encoding))
    assert [int(r["連番"]) for r in rows] == [e.seq for e in dated_entries[1:4]]
    for row, entry in zip(rows, dated_entries[1:4], strict=True):
        assert dt.datetime.fromisoformat(row["日時"]) == entry.at
        assert row["日時"].endswith("+09:00") and row["日時 (和暦)"].startswith("令和3年4月")
        assert row["操作者"] == entry.actor and row["MAC"] == entry.mac and row["直前のMAC"] == entry.prev_mac
        assert row["操作"] == "view" and row["結果"] == "success" and row["ファイルSHA-256"] == "ab" * 32
        assert row["詳細"] == '{"note": "改行\\nあり", "件数": 3}'
    assert rows[0]["日時"] == "2021-04-01 00:00:00.000000+09:00"
    assert [r["対象"] for r in rows] == [
        "user:=cmd",
        "ファイル 髙橋 ①",
        "smile \\U0001f600" if encoding == "cp932" else "smile 😀",
    ]
    # a spreadsheet does not run the ID typed at the login page as a formula
    assert '"\'=HYPERLINK(""http://evil"")"' in data.decode(encoding)
    (logged,) = entries("audit_export")
    assert logged.sha256 == hashlib.sha256(data).hexdigest() and logged.actor.startswith("os:")
    assert logged.detail["rows"] == 3 and logged.detail["since"] == "2021-04-01"
    assert ("WARNING 1" in result.output) == (encoding == "cp932")


def test_export_header_is_japanese(dated_entries: list[AuditEntry], tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert CliRunner().invoke(main, ["audit", "export", "-o", str(out), "--encoding", "cp932"]).exit_code == 0
    lines = out.read_bytes().decode("cp932").splitlines()
    assert lines[0] == ",".join(HEADER)
    assert len(list(read_csv(out.read_bytes(), encoding="cp932"))) == 5


def test_export_refuses_a_period_that_ends_before_it_starts(tmp_path: Path) -> None:
    args = ["audit", "export", "--since", "2021-05-01", "--until", "2021-04-01", "-o", str(tmp_path / "x.csv")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and not (tmp_path / "x.csv").exists()


# --- the auditor's page ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["sysadmin", "zeimu-manage", "zeimu-view"])
def test_only_the_auditor_reaches_the_page(login_as: LoginAs, username: str) -> None:
    client = login_as(username)
    for query in ("", "?download=csv&encoding=utf-8", "?verify=1"):
        assert client.get(f"/audit/{query}").status_code == 403
    assert not entries("audit_export") and not entries("audit_verify")


def test_auditor_page_is_japanese_with_wareki_dates(login_as: LoginAs) -> None:
    page = login_as("auditor").get("/audit/").content.decode()
    assert "<h1>操作ログ</h1>" in page and "令和" in page and "ログイン (パスワード)" in page
    assert "style=" not in page and "<script" not in page


def test_auditor_page_filters(login_as: LoginAs, dated_entries: list[AuditEntry]) -> None:
    client = login_as("auditor")
    record(action="login_failed", actor=Actor(name="zeimu-view"), object="user:zeimu-view", outcome="failure")

    def seqs(**query: str) -> list[int]:
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return [e.seq for e in response.context["page"].object_list]

    april = seqs(since="2021-04-01", until="2021-04-30")
    assert april == [e.seq for e in reversed(dated_entries[1:4])]
    assert seqs(since="2021-04-01", until="2021-04-30", actor="kokuho-send") == [dated_entries[3].seq]
    assert seqs(object_contains="髙橋") == [dated_entries[2].seq]
    failures = seqs(action="login_failed", outcome="failure", actor="zeimu-view")
    assert failures == [e.seq for e in reversed(entries("login_failed", actor="zeimu-view"))]
    response = client.get("/audit/", {"since": "2021-05-01", "until": "2021-04-01"})
    assert "「まで」は「から」と同じ日かそれより後にしてください。" in response.content.decode()
    assert list(response.context["page"].object_list) == []


def test_auditor_page_shows_100_entries_a_page(login_as: LoginAs) -> None:
    client = login_as("auditor")
    some_entries(250)
    total = AuditEntry.objects.filter(action="test").count()
    first = client.get("/audit/", {"action": "test"}).context["page"]
    assert len(first.object_list) == 100 and first.paginator.count == total
    last = client.get("/audit/", {"action": "test", "page": "3"})
    assert len(last.context["page"].object_list) == 50
    assert "?action=test&amp;page=2" in last.content.decode()


def test_auditor_downloads_the_filtered_rows_as_csv(login_as: LoginAs, dated_entries: list[AuditEntry]) -> None:
    client = login_as("auditor")
    query = {"since": "2021-04-01", "until": "2021-04-30", "download": "csv", "encoding": "cp932"}
    response = client.get("/audit/", query)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kokin-operation-log-')
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert [int(r["連番"]) for r in read_csv(data, encoding="cp932")] == [e.seq for e in dated_entries[1:4]]
    (logged,) = entries("audit_export", actor="auditor")
    assert logged.detail["since"] == "2021-04-01" and logged.detail["rows"] == 3
    assert logged.sha256 == hashlib.sha256(data).hexdigest()
    assert not entries("view", actor="auditor", object__contains="download")  # logged once, as the export


def test_csv_download_defaults_to_utf8_with_bom(login_as: LoginAs) -> None:
    response = login_as("auditor").get("/audit/", {"download": "csv"})
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert data.startswith(b"\xef\xbb\xbf" + "連番".encode())
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_auditor_checks_the_chain_from_the_page(login_as: LoginAs) -> None:
    client = login_as("auditor")
    some_entries(10)
    assert "検証の結果: 異常なし" in client.get("/audit/", {"verify": "1"}).content.decode()
    with triggers_disabled():
        tamper_update(4)
    page = client.get("/audit/", {"verify": "1"}).content.decode()
    assert "連番 4: 内容が記録時から変更されています" in page
    assert [e.outcome for e in entries("audit_verify", actor="auditor")] == ["success", "failure"]


# --- PostgreSQL: concurrent writers ------------------------------------------------------------


@pytest.fixture(scope="module")
def flushable_log() -> Iterator[None]:
    """Lets Django's flush after a transactional test empty the log (set up before, torn down after it)."""
    with flush_allowed():
        yield


@pytest.fixture
def committed_db(flushable_log: None, transactional_db: None) -> None:
    """A database whose writes other connections see; emptied after the test despite the triggers."""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
def test_concurrent_writers_keep_one_unbroken_chain(committed_db: None) -> None:
    assert connection.settings_dict["NAME"].startswith("test_")  # the threads write to the test database
    threads, each = 8, 25
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                record(action="concurrent", actor=Actor(name=f"writer-{n}"), detail={"i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    result = check()
    assert result.ok, [str(b) for b in result.breaks]
    assert AuditEntry.objects.filter(action="concurrent").count() == threads * each
    assert result.count == AuditEntry.objects.count()
