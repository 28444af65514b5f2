"""Raising incidents (and joining an open one), moving them on, notes and report versions: the services,
each logged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from kokin.accounts.actors import user_actor
from kokin.accounts.models import User
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import check, record
from kokin.incidents import services
from kokin.incidents.errors import IncidentError
from kokin.incidents.models import Incident, State

pytestmark = pytest.mark.django_db


def _raise(subject: str = "account:zeimu-send", **changes: Any) -> Incident:
    entry = record(action="login_failed", actor=Actor(name=subject.partition(":")[2]), outcome="failure")
    values: dict[str, Any] = {
        "rule": "login_defender",
        "severity": "medium",
        "subject": subject,
        "title": "ログイン失敗の多発",
        "summary": "試験",
        "evidence": [entry.seq],
        "actor": Actor.system(),
    }
    return services.raise_incident(**(values | changes))


def admin() -> Actor:
    return user_actor(User.objects.get(username="sysadmin"))


def test_raise_opens_numbered_incidents_with_a_first_timeline_line_and_a_log_entry(ward: Any) -> None:
    first, second = _raise(), _raise("address:192.0.2.7")
    assert (first.number, second.number) == (1, 2)
    assert first.state == State.DETECTED and first.occurrences == 1 and first.first_seen == first.last_seen
    [note] = first.notes.all()
    assert (note.author, note.to_state, note.text) == ("system", State.DETECTED, "試験")
    opened = AuditEntry.objects.get(action="incident_open", object="incident:1")
    assert opened.actor == "system" and opened.detail["evidence"] == first.evidence
    assert check().ok


def test_a_second_raise_of_the_same_rule_and_subject_joins_the_open_incident(ward: Any) -> None:
    first = _raise(files=["f1"], businesses=["zeimu-shuno"])
    again = _raise(severity="high", files=[{"id": "f2", "records": 5}], businesses=["kokuho-shuno"])
    assert again.pk == first.pk and Incident.objects.count() == 1
    assert again.occurrences == 2 and again.severity == "high" and len(again.evidence) == 2
    assert again.businesses == ["kokuho-shuno", "zeimu-shuno"]
    assert [f["id"] for f in again.files] == ["f1", "f2"]
    assert _raise(severity="low").severity == "high"  # the severity never falls
    assert AuditEntry.objects.filter(action="incident_repeat", object="incident:1").count() == 2
    assert _raise(rule="mass_download").number == 2  # another rule is another incident


def test_a_closed_incident_or_one_past_the_window_is_not_joined(ward: Any, settings: Any, tmp_path: Any) -> None:
    first = _raise()
    for to in (State.INVESTIGATING, State.REPORTED, State.CLOSED):
        services.advance(incident=first, to=to, note="確認", actor=admin())
    assert _raise().number == 2
    Incident.objects.filter(number=2).update(last_seen=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert _raise().number == 3
    (tmp_path / "rules.toml").write_text("dedup_hours = 0\n", encoding="utf-8")
    settings.INCIDENT_RULES = str(tmp_path / "rules.toml")
    assert _raise().number == 4


def test_advance_goes_forward_one_step_with_a_note_and_is_logged(ward: Any) -> None:
    incident = _raise()
    with pytest.raises(IncidentError, match="経過を記入"):
        services.advance(incident=incident, to=State.INVESTIGATING, note="  ", actor=admin())
    for wrong in (State.REPORTED, State.CLOSED, State.DETECTED, "gone"):
        with pytest.raises(IncidentError):
            services.advance(incident=incident, to=wrong, note="飛ばす", actor=admin())
    moved = services.advance(incident=incident, to=State.INVESTIGATING, note="区に電話で報告", actor=admin())
    assert moved.state == State.INVESTIGATING and moved.closed_at is None
    with pytest.raises(IncidentError, match="「調査中」のインシデントを「検知」に"):
        services.advance(incident=moved, to=State.DETECTED, note="戻す", actor=admin())
    services.advance(incident=moved, to=State.REPORTED, note="報告書を提出", actor=admin())
    closed = services.advance(incident=moved, to=State.CLOSED, note="区の指示どおり完了", actor=admin())
    assert closed.closed_at is not None
    timeline = [(n.from_state, n.to_state, n.author) for n in closed.notes.all()]
    assert timeline == [
        ("", "detected", "system"),
        ("detected", "investigating", "sysadmin"),
        ("investigating", "reported", "sysadmin"),
        ("reported", "closed", "sysadmin"),
    ]
    logged = AuditEntry.objects.filter(action="incident_advance").order_by("seq")
    assert [(e.actor, e.role, e.detail["to"]) for e in logged] == [
        ("sysadmin", "システム管理者", "investigating"),
        ("sysadmin", "システム管理者", "reported"),
        ("sysadmin", "システム管理者", "closed"),
    ]


def test_only_the_administrator_changes_an_incident(ward: Any) -> None:
    incident = _raise()
    auditor = user_actor(User.objects.get(username="auditor"))
    with pytest.raises(PermissionDenied):
        services.advance(incident=incident, to=State.INVESTIGATING, note="監査者", actor=auditor)
    with pytest.raises(PermissionDenied):
        services.add_note(incident=incident, text="監査者", actor=auditor)
    note = services.add_note(incident=incident, text="ログを確認した", actor=admin())
    assert (note.author, note.to_state) == ("sysadmin", "")
    assert AuditEntry.objects.filter(action="incident_note", detail__note=note.pk).exists()


def test_report_versions_are_kept_and_only_for_personal_data(ward: Any) -> None:
    with pytest.raises(IncidentError, match="個人データを含むおそれのない"):
        services.save_report(incident=_raise(), content={"overview": "x"}, malicious=False, actor=admin())
    incident = _raise("business:zeimu-shuno", rule="mass_download", personal_data=True)
    one = services.save_report(incident=incident, content={"overview": "第1版"}, malicious=False, actor=admin())
    two = services.save_report(incident=incident, content={"overview": "第2版"}, malicious=True, actor=admin())
    one.refresh_from_db()
    assert (one.version, one.content["overview"], two.version, two.malicious) == (1, "第1版", 2, True)
    assert set(two.content) >= {"overview", "items", "persons", "cause", "other"}
    assert AuditEntry.objects.filter(action="incident_report_save").count() == 2


@given(st.lists(st.integers(1, 10**6)), st.lists(st.integers(1, 10**6)), st.integers(2, 50))
def test_merged_evidence_is_sorted_distinct_and_keeps_the_oldest_and_newest(
    old: list[int], new: list[int], limit: int
) -> None:
    merged = services.merge_evidence(old, new, limit=limit)
    every = sorted(set(old) | set(new))
    assert merged == sorted(set(merged)) and set(merged) <= set(every)
    assert len(merged) == min(limit, len(every))
    if every:
        assert merged[0] == every[0] and merged[-1] == every[-1]
