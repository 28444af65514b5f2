"""The rules counted in the database: the login defender (per account and per address) and the
mass-download rule, as the logins and downloads will call them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.incidents import detection
from kokin.incidents.models import DefenderBan, DefenderEvent, DownloadEvent, Incident
from kokin.incidents.rules import MB, LoginEvent

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _fail(kind: LoginEvent, at: dt.datetime, account: str = "zeimu-send", address: str = "192.0.2.7") -> list[Any]:
    entry = record(action="login_failed", actor=Actor(name=account, client_ip=address), outcome="failure")
    return detection.login_event(kind=kind, account=account, address=address, evidence=entry.seq, at=at)


def _rules(settings: Any, tmp_path: Path, text: str) -> None:
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    settings.INCIDENT_RULES = str(tmp_path / "rules.toml")


def test_fifteen_points_in_thirty_minutes_ban_both_keys_and_raise_an_incident_each() -> None:
    for minute in range(7):  # 7 wrong second factors: 14 points
        assert _fail(LoginEvent.FAILED_SECOND_FACTOR, T0 + dt.timedelta(minutes=minute)) == []
    assert detection.banned(account="zeimu-send", at=T0 + dt.timedelta(minutes=7)) is None
    bans = _fail(LoginEvent.FAILED_PASSWORD, T0 + dt.timedelta(minutes=8))
    assert sorted(b.key for b in bans) == ["account:zeimu-send", "address:192.0.2.7"]
    assert {b.until - b.started_at for b in bans} == {dt.timedelta(minutes=30)}
    assert detection.banned(account="zeimu-send", at=T0 + dt.timedelta(minutes=37)) is not None
    assert detection.banned(address="192.0.2.7", at=T0 + dt.timedelta(minutes=38, seconds=1)) is None
    assert detection.banned(account="other", address="198.51.100.1", at=T0 + dt.timedelta(minutes=9)) is None
    incidents = Incident.objects.order_by("number")
    assert [(i.rule, i.subject, i.severity) for i in incidents] == [
        ("login_defender", "account:zeimu-send", "medium"),
        ("login_defender", "address:192.0.2.7", "medium"),
    ]
    first = incidents[0]
    assert len(first.evidence) == 9  # the 8 failures and the ban's own entry
    assert "15 点 (しきい値 15 点)" in first.summary and "30 分間" in first.summary
    ban_entries = AuditEntry.objects.filter(action="defender_ban", outcome="denied")
    assert sorted(e.object for e in ban_entries) == ["account:zeimu-send", "address:192.0.2.7"]


def test_old_scores_fall_out_of_the_window_and_attempts_during_a_ban_are_not_scored() -> None:
    for minute in range(0, 70, 5):  # one failed password every 5 minutes: at most 6 in any 30 minutes
        assert _fail(LoginEvent.FAILED_PASSWORD, T0 + dt.timedelta(minutes=minute)) == []
    assert DefenderEvent.objects.filter(key="account:zeimu-send").count() <= 7  # the rest were removed
    for n in range(5):
        _fail(LoginEvent.REFUSED, T0 + dt.timedelta(minutes=70, seconds=n))
    assert DefenderBan.objects.filter(key="account:zeimu-send").count() == 1
    assert _fail(LoginEvent.REFUSED, T0 + dt.timedelta(minutes=71)) == []  # banned: not counted again
    assert DefenderEvent.objects.filter(key="account:zeimu-send").count() == 0


def test_each_further_ban_of_a_key_lasts_half_as_long_again_and_raises_severity() -> None:
    at = T0
    lengths = []
    for _ in range(3):
        bans = []
        while not bans:
            bans = _fail(LoginEvent.REFUSED, at, address="")
            at += dt.timedelta(seconds=1)
        lengths.append(bans[0].until - bans[0].started_at)
        at = bans[0].until
    assert lengths == [dt.timedelta(minutes=30), dt.timedelta(minutes=45), dt.timedelta(minutes=67, seconds=30)]
    [incident] = Incident.objects.all()  # within the dedup window: one incident, three occurrences
    assert incident.occurrences == 3 and incident.severity == "high"


def test_an_unknown_id_counts_on_the_address_only() -> None:
    for n in range(8):
        _fail(LoginEvent.UNKNOWN_ACCOUNT, T0 + dt.timedelta(seconds=n), account="nobody")
    assert [b.key for b in DefenderBan.objects.all()] == ["address:192.0.2.7"]
    assert not DefenderEvent.objects.filter(key__startswith="account:").exists()


def test_a_rule_turned_off_counts_nothing(settings: Any, tmp_path: Path) -> None:
    _rules(settings, tmp_path, "[login_defender]\nenabled = false\n[mass_download]\nenabled = false\n")
    for n in range(10):
        assert _fail(LoginEvent.REFUSED, T0 + dt.timedelta(seconds=n)) == []
    assert detection.download_event(business="zeimu-shuno", file="f", size=10**12, at=T0) is None
    assert not DefenderEvent.objects.exists() and not DownloadEvent.objects.exists()


def test_a_lower_threshold_from_the_rules_file_bans_sooner(settings: Any, tmp_path: Path) -> None:
    _rules(settings, tmp_path, "[login_defender]\nthreshold = 3\nban_minutes = 5\n")
    assert _fail(LoginEvent.FAILED_PASSWORD, T0) == []
    [ban, _] = _fail(LoginEvent.FAILED_SECOND_FACTOR, T0 + dt.timedelta(seconds=1))
    assert ban.until - ban.started_at == dt.timedelta(minutes=5)


def _download(business: str, at: dt.datetime, size: int = 1000, n: int = 0) -> Incident | None:
    entry = record(action="exchange_download", actor=Actor(name="zeimu-get"), object=f"file:f{n}")
    file = {"id": f"f{n}", "data_kind": None, "records": 100}
    return detection.download_event(business=business, file=file, size=size, evidence=entry.seq, at=at)


def test_mass_download_fires_at_twenty_files_in_fifteen_minutes() -> None:
    found = [_download("zeimu-shuno", T0 + dt.timedelta(seconds=20 * n), n=n) for n in range(20)]
    assert found[:19] == [None] * 19 and found[19] is not None
    incident = found[19]
    assert (incident.rule, incident.subject, incident.severity) == ("mass_download", "business:zeimu-shuno", "high")
    assert incident.may_involve_personal_data and incident.businesses == ["zeimu-shuno"]
    assert len(incident.files) == 20 and len(incident.evidence) == 20
    assert "取得した操作者: zeimu-get" in incident.summary
    again = _download("zeimu-shuno", T0 + dt.timedelta(minutes=7), n=20)
    assert again is not None and again.pk == incident.pk and again.occurrences == 2


def test_mass_download_is_measured_against_the_business_usual_level() -> None:
    day_before = T0 - dt.timedelta(days=1)
    for n in range(30):  # a business that downloads 30 files in one window on a normal day
        _download("kokuho-shuno", day_before + dt.timedelta(seconds=n), n=n)
    Incident.objects.all().delete()
    now = T0
    results = [_download("kokuho-shuno", now + dt.timedelta(seconds=n), n=100 + n) for n in range(90)]
    assert results.index(next(r for r in results if r is not None)) == 89  # 3 × 30 files
    assert _download("seiso-shuno", T0, size=200 * MB) is not None  # or 200 MB in one window


def test_download_events_past_the_baseline_are_removed() -> None:
    _download("zeimu-shuno", timezone.now() - dt.timedelta(days=40))
    _download("zeimu-shuno", timezone.now())
    assert DownloadEvent.objects.count() == 1
