"""The per-address login limit on a real hub (``kokin hub serve``: gunicorn with two workers, HTTPS).

The attacker and the office connect from different loopback addresses (127.0.0.1 and 127.0.0.2,
bound as the client's source address), so the hub sees two real peers without trusting any header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from support.live import LiveHub
from support.otp import code_from_secret

LIMIT = 8
THROTTLED = "この端末からのログインを一時的に制限しています"
LOCKED = "アカウントがロックされています"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    root = tmp_path_factory.mktemp("throttle-hub")
    # the login defender (kokin.incidents) would ban the address first (8 unknown IDs score 16): this
    # test is about the address limit of the accounts themselves, which holds with the defender off
    rules = root / "rules.toml"
    rules.write_text("[login_defender]\nenabled = false\n", encoding="utf-8")
    env = {"KOKIN_ADDRESS_LIMIT": str(LIMIT), "KOKIN_INCIDENT_RULES": str(rules)}
    hub = LiveHub(root, env=env)
    try:
        yield hub.start()
    finally:
        hub.close()


def browser(hub: LiveHub, source: str) -> httpx.Client:
    """A client of ``hub`` whose connections come from the loopback address ``source``."""
    transport = httpx.HTTPTransport(verify=hub.ssl_context(), local_address=source)
    return httpx.Client(base_url=hub.url, transport=transport, timeout=30, headers={"Referer": f"{hub.url}/"})


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    page = client.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text
    return client.post(path, data={"csrfmiddlewaretoken": token.group(1), **data})


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return post_form(client, "/accounts/login/", {"username": username, "password": password})


def test_unknown_ids_from_one_address_get_429_while_the_office_logs_in(hub: LiveHub) -> None:
    with browser(hub, "127.0.0.1") as attacker:
        for n in range(LIMIT):
            assert login(attacker, f"guess-{n}", "Wrong-Password-1").status_code == 200
        refused = login(attacker, "guess-next", "Wrong-Password-1")
        assert refused.status_code == 429 and THROTTLED in refused.text
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        # a right password from the refused address is not even checked
        password, _ = hub.logins["zeimu-get"]
        assert login(attacker, "zeimu-get", password).status_code == 429
    [entry] = hub.audit("address_lockout")
    assert entry["object"] == "address:127.0.0.1" and entry["detail"]["failures"] == LIMIT

    password, secret = hub.logins["zeimu-view"]
    with browser(hub, "127.0.0.2") as office:
        response = login(office, "zeimu-view", password)
        assert response.status_code == 302 and response.headers["Location"] == "/accounts/verify/"
        verified = post_form(office, "/accounts/verify/", {"token": code_from_secret(secret)})
        assert verified.status_code == 302, verified.text


def test_the_per_id_lockout_still_locks_one_id(hub: LiveHub) -> None:
    password, _ = hub.logins["kaigo-send"]
    with browser(hub, "127.0.0.3") as client:
        for n in range(5):
            response = login(client, "kaigo-send", f"Wrong-Password-{n}")
        assert response.status_code == 403 and LOCKED in response.text
        response = login(client, "kaigo-send", password)
        assert response.status_code == 403 and LOCKED in response.text
    assert [e["object"] for e in hub.audit("lockout")] == ["user:kaigo-send"]
    # six failures from 127.0.0.3, under the address limit
    assert "address:127.0.0.3" not in [e["object"] for e in hub.audit("address_lockout")]
