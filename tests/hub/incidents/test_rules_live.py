"""The detection rules on a real hub (``kokin hub serve``: gunicorn, two workers, HTTPS from its own CA),
fed by real requests: the login defender's ban, a terminal outside the allow-list, a mass download
through the API. Each client binds its own loopback address, so the hub sees real, distinct peers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.live import LiveHub

THRESHOLD = 6
MASS_FILES = 3

INCIDENTS = """
import json
from kokin.incidents.models import Incident
print(json.dumps([
    {"rule": i.rule, "subject": i.subject, "severity": i.severity, "evidence": i.evidence,
     "summary": i.summary, "files": i.files, "personal": i.may_involve_personal_data}
    for i in Incident.objects.order_by("number")
], ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    root = tmp_path_factory.mktemp("rules-hub")
    rules = root / "rules.toml"
    rules.write_text(
        f"[login_defender]\nthreshold = {THRESHOLD}\n[mass_download]\nfiles = {MASS_FILES}\n", encoding="utf-8"
    )
    hub = LiveHub(root, env={"KOKIN_INCIDENT_RULES": str(rules), "KOKIN_LOG_LEVEL": "ERROR"})
    try:
        yield hub.start()
    finally:
        hub.close()


def browser(hub: LiveHub, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(verify=hub.ssl_context(), local_address=source)
    return httpx.Client(base_url=hub.url, transport=transport, timeout=30, headers={"Referer": f"{hub.url}/"})


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text
    data = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    return client.post("/accounts/login/", data=data)


def incidents(hub: LiveHub, rule: str) -> list[dict[str, Any]]:
    return [i for i in hub.manage_shell(INCIDENTS) if i["rule"] == rule]


def test_repeated_wrong_passwords_ban_the_account_over_https(hub: LiveHub) -> None:
    password, _ = hub.logins["zeimu-view"]
    with browser(hub, "127.0.0.4") as client:
        for n in range(THRESHOLD):
            assert login(client, "zeimu-view", f"Wrong-Password-{n}").status_code in (200, 403)
        refused = login(client, "zeimu-view", password)
    assert refused.status_code == 403 and "ログインを一時停止しています" in refused.text
    found = {i["subject"]: i for i in incidents(hub, "login_defender")}
    assert "account:zeimu-view" in found, found
    failures = {e["seq"] for e in hub.audit("login_failed", last=50) if e["object"] == "user:zeimu-view"}
    assert failures and failures <= set(found["account:zeimu-view"]["evidence"])
    [refusal] = [e for e in hub.audit("defender_refused") if e["object"] == "user:zeimu-view"]
    assert refusal["outcome"] == "denied" and refusal["client_ip"] == "127.0.0.4"


def test_a_login_from_outside_the_department_networks_raises_a_terminal_incident(hub: LiveHub) -> None:
    hub.python(
        "from kokin.accounts.models import Department\n"
        "Department.objects.filter(code='kaigo').update(allowed_networks='10.20.0.0/16')\n"
    )
    password, _ = hub.logins["kaigo-approve"]
    with browser(hub, "127.0.0.5") as client:
        assert login(client, "kaigo-approve", password).status_code == 403
    [incident] = incidents(hub, "terminal")
    assert incident["subject"] == "user:kaigo-approve@127.0.0.5" and "127.0.0.5" in incident["summary"]
    [denied] = [e for e in hub.audit("terminal_denied") if e["object"] == "user:kaigo-approve"]
    assert incident["evidence"] == [denied["seq"]]


def test_downloads_through_the_api_over_the_limit_raise_a_mass_download_incident(hub: LiveHub) -> None:
    made = hub.manage_shell(
        "import json\n"
        "from kokin.accounts.models import User\n"
        "from kokin.api.services import create_token\n"
        "from support.exchange import sample_file\n"
        f"ids = [sample_file('seiso-shuno') for _ in range({MASS_FILES})]\n"
        "token = create_token(user=User.objects.get(username='seiso-get'), name='rules-test', days=1)[1]\n"
        "print(json.dumps({'ids': ids, 'token': token}))\n"
    )
    with hub.client(token=made["token"]) as client:
        for file_id in made["ids"]:
            response = client.post(f"/api/files/{file_id}/original")
            assert response.status_code == 200, response.text
    [incident] = incidents(hub, "mass_download")
    assert incident["subject"] == "business:seiso-shuno" and incident["personal"]
    assert {f["id"] for f in incident["files"]} == set(made["ids"])
    downloads = {e["seq"] for e in hub.audit("exchange_download") if e["actor"] == "seiso-get"}
    assert downloads == set(incident["evidence"])
