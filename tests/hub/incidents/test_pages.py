"""The incident pages through Django's test client: who sees and who changes, the list, the detail with
its evidence and timeline, moving on and notes, each page view and change in the operation log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.incidents.models import Incident, State
from kokin.incidents.services import raise_incident

BUSINESS_ROLES = ["zeimu-view", "zeimu-get", "zeimu-send", "zeimu-approve", "zeimu-manage", "kokuho-send"]


def _incident() -> Incident:
    entry = record(
        action="login_failed", actor=Actor(name="zeimu-send", client_ip="192.0.2.7"), outcome="failure", detail={}
    )
    return raise_incident(
        rule="login_defender",
        severity="medium",
        subject="account:zeimu-send",
        title="ログイン失敗の多発: アカウント zeimu-send",
        summary="30 分間に 15 点に達しました。",
        evidence=[entry.seq, 999_999],
        actor=Actor.system(),
    )


@pytest.fixture
def incident(ward: Any) -> Incident:
    return _incident()


@pytest.mark.parametrize("username", ["sysadmin", "auditor"])
def test_the_administrator_and_the_auditor_see_the_list_and_the_detail(
    username: str, incident: Incident, login_as: Callable[..., Client]
) -> None:
    client = login_as(username)
    listed = client.get("/incidents/").content.decode()
    for text in (
        "ログイン失敗の多発: アカウント zeimu-send",
        "ログイン失敗の多発 (アカウント・接続元ごと)",
        "検知",
        "中",
        "令和",
    ):
        assert text in listed
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    seq = incident.evidence[0]
    for text in (
        f">{seq}<",
        "192.0.2.7",
        "ログイン失敗",
        "失敗",
        "30 分間に 15 点に達しました。",
        "account:zeimu-send",
    ):
        assert text in page
    assert "根拠の連番のうち 1 件が操作ログにありません" in page  # 999999 is not in the log
    assert ("「調査中」にする" in page) == (username == "sysadmin")
    views = AuditEntry.objects.filter(action="view", actor=username).values_list("object", flat=True)
    assert {"/incidents/", f"/incidents/{incident.number}/"} <= set(views)


@pytest.mark.parametrize("username", [*BUSINESS_ROLES, "anonymous"])
def test_business_roles_and_anonymous_are_refused_every_incident_page(
    username: str, incident: Incident, login_as: Callable[..., Client]
) -> None:
    client = Client() if username == "anonymous" else login_as(username)
    n = incident.number
    for method, path in [
        ("get", "/incidents/"),
        ("get", f"/incidents/{n}/"),
        ("post", f"/incidents/{n}/advance/"),
        ("post", f"/incidents/{n}/notes/"),
    ]:
        data = {"to": "investigating", "note": "x", "text": "x"} if method == "post" else {}
        response = getattr(client, method)(path, data)
        if username == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"], path
        else:
            assert response.status_code == 403, path
    incident.refresh_from_db()
    assert incident.state == State.DETECTED and incident.notes.count() == 1


def test_the_auditor_reads_but_cannot_move_on_or_write(incident: Incident, login_as: Callable[..., Client]) -> None:
    client = login_as("auditor")
    n = incident.number
    assert client.post(f"/incidents/{n}/advance/", {"to": "investigating", "note": "監査"}).status_code == 403
    assert client.post(f"/incidents/{n}/notes/", {"text": "監査"}).status_code == 403
    incident.refresh_from_db()
    assert incident.state == State.DETECTED
    refused = AuditEntry.objects.filter(action="request", actor="auditor", outcome="denied")
    assert {e.object for e in refused} == {f"/incidents/{n}/advance/", f"/incidents/{n}/notes/"}


def test_the_administrator_moves_on_with_a_note_and_writes_notes(
    incident: Incident, login_as: Callable[..., Client]
) -> None:
    client = login_as("sysadmin")
    n = incident.number
    page = client.post(f"/incidents/{n}/advance/", {"to": "investigating", "note": ""})
    assert page.status_code == 200 and "このフィールドは必須です" in page.content.decode()
    page = client.post(f"/incidents/{n}/advance/", {"to": "closed", "note": "飛ばす"})
    assert "「検知」のインシデントを「完了」にすることはできません" in page.content.decode()
    done = client.post(f"/incidents/{n}/advance/", {"to": "investigating", "note": "区の情報政策課に連絡"})
    assert done.status_code == 302 and done["Location"] == f"/incidents/{n}/"
    assert client.post(f"/incidents/{n}/notes/", {"text": "本人からの申告なし"}).status_code == 302
    page = client.get(f"/incidents/{n}/").content.decode()
    assert "検知 → 調査中" in page and "区の情報政策課に連絡" in page and "本人からの申告なし" in page
    assert "「報告済」にする" in page
    incident.refresh_from_db()
    assert incident.state == State.INVESTIGATING
    assert AuditEntry.objects.filter(action="incident_advance", actor="sysadmin", outcome="success").exists()
    assert AuditEntry.objects.filter(action="incident_note", actor="sysadmin").exists()


def test_the_list_filters_by_state_and_the_home_page_links_it(
    incident: Incident, login_as: Callable[..., Client]
) -> None:
    Incident.objects.filter(pk=incident.pk).update(state=State.CLOSED)
    client = login_as("auditor")
    assert "該当するインシデントはありません" in client.get("/incidents/").content.decode()
    assert incident.title in client.get("/incidents/?state=closed").content.decode()
    assert incident.title in client.get("/incidents/?state=all").content.decode()
    assert "/incidents/" in client.get("/").content.decode()
    assert "/incidents/" not in login_as("zeimu-view").get("/").content.decode()
    assert client.get("/incidents/12345/").status_code == 404
