"""The rules that watch the operation log, fired by real requests to the hub's views (Django's test
client) and real services; each committed entry reaches the rules through ``transaction.on_commit``
(the tests commit for real)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client
from django.utils import timezone

from kokin.accounts.models import Department, User
from kokin.audit.actor import Actor
from kokin.audit.events import entry_recorded
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.cli import main
from kokin.exchange import services
from kokin.incidents.models import DefenderBan, Incident
from support.audit import flush_allowed, triggers_disabled
from support.exchange import TEST_ACTOR, sample_file
from support.otp import current_code

Login = Callable[..., Client]


@pytest.fixture(scope="module")
def flushable_log() -> Iterator[None]:
    """Lets Django's flush after each transactional test empty the log despite its triggers."""
    with flush_allowed():
        yield


@pytest.fixture(autouse=True)
def committed(flushable_log: None, transactional_db: None) -> None:
    """Real commits: each entry reaches the log's watchers through ``transaction.on_commit`` as it
    would in the running hub."""


@pytest.fixture
def rules(settings: Any, tmp_path: Path) -> Callable[[str], None]:
    def write(text: str) -> None:
        path = tmp_path / "rules.toml"
        path.write_text(text, encoding="utf-8")
        settings.INCIDENT_RULES = str(path)

    return write


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def _incidents(rule: str) -> list[Incident]:
    return list(Incident.objects.filter(rule=rule).order_by("number"))


# --- login defender --------------------------------------------------------------------------------


def test_wrong_passwords_ban_the_account_and_its_next_attempt_is_refused_unchecked(
    ward: Any, rules: Callable[[str], None]
) -> None:
    rules("[login_defender]\nthreshold = 4\n")
    client = Client()
    for _ in range(4):
        assert _login(client, "zeimu-send", "Wrong-Password-1").status_code == 200
    assert DefenderBan.objects.filter(key="account:zeimu-send").exists()
    [incident] = _incidents("login_defender")[:1]
    assert incident.subject == "account:zeimu-send" and "4 点 (しきい値 4 点)" in incident.summary
    failures = AuditEntry.objects.filter(action="login_failed", object="user:zeimu-send")
    assert set(failures.values_list("seq", flat=True)) <= set(incident.evidence)

    # the right password while the ban lasts: refused without being checked, and logged
    refused = _login(Client(), "zeimu-send", ward["zeimu-send"].password)
    assert refused.status_code == 403 and "ログインを一時停止しています" in refused.content.decode()
    entry = AuditEntry.objects.filter(action="defender_refused").get()
    assert entry.outcome == "denied" and entry.detail["ban"] in ("account:zeimu-send", "address:127.0.0.1")
    assert not AuditEntry.objects.filter(action="login", object="user:zeimu-send").exists()


def test_unknown_ids_score_two_on_the_address_only(ward: Any, rules: Callable[[str], None]) -> None:
    rules("[login_defender]\nthreshold = 6\n")
    client = Client(REMOTE_ADDR="192.0.2.50")
    for n in range(3):
        _login(client, f"nobody-{n}", "Wrong-Password-1")
    assert [b.key for b in DefenderBan.objects.all()] == ["address:192.0.2.50"]
    refused = _login(Client(REMOTE_ADDR="192.0.2.50"), "zeimu-send", ward["zeimu-send"].password)
    assert refused.status_code == 403
    # another address still logs in
    assert _login(Client(REMOTE_ADDR="192.0.2.51"), "zeimu-send", ward["zeimu-send"].password).status_code == 302


def test_wrong_second_factors_ban_the_account_at_the_verify_step(ward: Any, rules: Callable[[str], None]) -> None:
    rules("[login_defender]\nthreshold = 4\n")
    client = Client()
    assert _login(client, "zeimu-get", ward["zeimu-get"].password).status_code == 302
    for _ in range(2):
        assert client.post("/accounts/verify/", {"token": "000000"}).status_code == 200
    assert DefenderBan.objects.filter(key="account:zeimu-get").exists()
    user = User.objects.get(username="zeimu-get")
    refused = client.post("/accounts/verify/", {"token": current_code(user)})
    assert refused.status_code == 403
    assert not AuditEntry.objects.filter(action="second_factor", outcome="success", actor="zeimu-get").exists()


def test_the_defender_switched_off_scores_nothing(ward: Any, rules: Callable[[str], None]) -> None:
    rules("[login_defender]\nenabled = false\nthreshold = 1\n")
    _login(Client(), "zeimu-send", "Wrong-Password-1")
    assert not DefenderBan.objects.exists() and not Incident.objects.exists()


# --- terminals and working hours -------------------------------------------------------------------


def test_a_login_from_outside_the_terminal_allow_list_raises_a_terminal_incident(ward: Any) -> None:
    Department.objects.filter(code="zeimu").update(allowed_networks="10.20.0.0/16")
    response = _login(Client(REMOTE_ADDR="192.0.2.9"), "zeimu-send", ward["zeimu-send"].password)
    assert response.status_code == 403
    [incident] = _incidents("terminal")
    denied = AuditEntry.objects.get(action="terminal_denied")
    assert incident.subject == "user:zeimu-send@192.0.2.9" and incident.evidence == [denied.seq]
    assert "192.0.2.9" in incident.summary and incident.severity == "medium"
    # the same terminal again joins the open incident
    _login(Client(REMOTE_ADDR="192.0.2.9"), "zeimu-send", ward["zeimu-send"].password)
    [again] = _incidents("terminal")
    assert again.occurrences == 2


def test_the_terminal_rule_switched_off_still_refuses_but_raises_nothing(
    ward: Any, rules: Callable[[str], None]
) -> None:
    rules("[terminal]\nenabled = false\n")
    Department.objects.filter(code="zeimu").update(allowed_networks="10.20.0.0/16")
    assert _login(Client(REMOTE_ADDR="192.0.2.9"), "zeimu-send", ward["zeimu-send"].password).status_code == 403
    assert _incidents("terminal") == []


def _today_weekday() -> int:
    return timezone.localdate().isoweekday()


def test_a_login_on_a_day_the_department_is_closed_raises_a_working_hours_incident(
    login_as: Login, rules: Callable[[str], None]
) -> None:
    others = [d for d in range(1, 8) if d != _today_weekday()]
    rules(f"[working_hours]\nenabled = true\nweekdays = {others}\n")
    login_as("zeimu-send")
    [incident] = _incidents("working_hours")
    assert incident.subject == "user:zeimu-send" and incident.severity == "low"
    assert "閉庁日" in incident.summary and "税務課" in incident.summary
    done = AuditEntry.objects.get(action="second_factor", outcome="success", actor="zeimu-send")
    assert incident.evidence == [done.seq]


def test_a_department_with_hours_of_its_own_is_judged_by_them(login_as: Login, rules: Callable[[str], None]) -> None:
    others = [d for d in range(1, 8) if d != _today_weekday()]
    rules(
        f"[working_hours]\nenabled = true\nweekdays = {others}\n"
        f'[working_hours.departments.zeimu]\nweekdays = [{_today_weekday()}]\nstart = "00:00"\nend = "24:00"\n'
        "closed_on_holidays = false\n"
    )
    login_as("zeimu-send")  # 税務課: open all of today
    login_as("kokuho-send")  # 国保の課: the ward-wide hours, closed today
    assert [i.subject for i in _incidents("working_hours")] == ["user:kokuho-send"]


def test_working_hours_are_off_unless_the_ward_turns_them_on(login_as: Login) -> None:
    login_as("zeimu-send")
    assert _incidents("working_hours") == []


# --- downloads ------------------------------------------------------------------------------------


def test_downloads_over_the_limit_raise_a_mass_download_incident(login_as: Login, rules: Callable[[str], None]) -> None:
    rules("[mass_download]\nfiles = 3\n")
    ids = [sample_file("zeimu-shuno") for _ in range(3)]
    client = login_as("zeimu-get")
    for file_id in ids:
        assert client.post(f"/files/{file_id}/download/", {"as": "original"}).status_code == 200
    [incident] = _incidents("mass_download")
    assert incident.subject == "business:zeimu-shuno" and incident.may_involve_personal_data
    assert {f["id"] for f in incident.files} == set(ids)
    assert "zeimu-get" in incident.summary


def test_a_download_by_a_role_that_rarely_downloads_raises_an_incident(
    login_as: Login, rules: Callable[[str], None]
) -> None:
    rules("[rare_role]\nmin_total = 3\nmin_times = 1\n")
    for _ in range(3):  # the usual downloader, in another role
        record(action="exchange_download", actor=Actor(name="kokuho-send", role="送信"), object="file:x")
    file_id = sample_file("zeimu-shuno")
    client = login_as("zeimu-get")
    assert client.post(f"/files/{file_id}/download/", {"as": "original"}).status_code == 200
    [incident] = _incidents("rare_role")
    mine = AuditEntry.objects.get(action="exchange_download", object=f"file:{file_id}")
    assert incident.subject == f"exchange_download:{mine.role}" and incident.evidence == [mine.seq]
    assert "3 回" in incident.summary and "0 回" in incident.summary


def test_a_rare_role_is_not_judged_before_the_action_is_common(login_as: Login) -> None:
    file_id = sample_file("zeimu-shuno")
    assert login_as("zeimu-get").post(f"/files/{file_id}/download/", {"as": "original"}).status_code == 200
    assert _incidents("rare_role") == []


# --- the hub's own integrity ----------------------------------------------------------------------


def test_a_failed_audit_verify_raises_a_high_incident(ward: Any) -> None:
    entry = record(action="view", actor=Actor(name="zeimu-view"), object="page:/")
    with triggers_disabled(), connection.cursor() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(f"UPDATE {table} SET object = %s WHERE seq = %s", ["page:/edited", entry.seq])
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code != 0, result.output
    [incident] = _incidents("audit_verify")
    verify = AuditEntry.objects.filter(action="audit_verify").latest("seq")
    assert incident.severity == "high" and incident.evidence == [verify.seq]
    assert "改ざん" in incident.summary


def test_a_download_that_breaks_on_the_vault_raises_a_vault_incident(login_as: Login) -> None:
    from kokin.exchange.models import ExchangeFile
    from kokin.vault.stores import get_store

    file = ExchangeFile.objects.get(id=sample_file("zeimu-shuno"))
    if file.blob.backend != "local":
        pytest.skip("the damage is made in the local folder store")
    path = get_store(file.blob.backend).path(file.blob_id)  # type: ignore[attr-defined]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    response = login_as("zeimu-get").post(f"/files/{file.id}/download/", {"as": "csv", "encoding": "cp932"})
    assert response.status_code == 500
    [incident] = _incidents("vault")
    broken = AuditEntry.objects.get(action="exchange_download", outcome="error")
    assert incident.severity == "high" and incident.evidence == [broken.seq]
    assert incident.subject == f"file:{file.id}"


def test_an_erasure_before_the_schedule_raises_a_retention_incident(ward: Any) -> None:
    from kokin.exchange.models import ExchangeFile

    early = ExchangeFile.objects.get(id=sample_file("zeimu-shuno"))
    certificate = services.erase(file=early, reason="手作業", actor=TEST_ACTOR)
    [incident] = _incidents("retention")
    assert incident.subject == f"file:{early.id}" and certificate.number in incident.summary


def test_the_retention_run_erases_on_schedule_without_an_incident(ward: Any) -> None:
    sample_file("zeimu-shuno")
    done = services.run_retention(actor=TEST_ACTOR, now=timezone.now() + dt.timedelta(days=3650))
    assert done and all(d.certificate is not None for d in done)
    assert _incidents("retention") == []


# --- the watchers never fail an operation ---------------------------------------------------------


def test_a_failing_watcher_is_logged_and_the_login_still_succeeds(
    login_as: Login, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: Any, entry: AuditEntry, **kwargs: Any) -> None:
        raise RuntimeError("watcher down")

    entry_recorded.connect(broken, dispatch_uid="test-broken-watcher")
    try:
        with caplog.at_level(logging.ERROR, logger="kokin.audit.events"):
            login_as("zeimu-send")
    finally:
        entry_recorded.disconnect(dispatch_uid="test-broken-watcher")
    assert AuditEntry.objects.filter(action="second_factor", outcome="success", actor="zeimu-send").exists()
    assert "watcher down" in caplog.text
