"""The per-address limit on failed logins (``kokin.accounts.throttle``) beside the per-ID lockout,
with Django's test client and ``REMOTE_ADDR``; ``test_throttle_live.py`` does it over real HTTPS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client, override_settings

from kokin.accounts.models import User
from kokin.audit.models import AuditEntry
from kokin.demo import ward as demo
from support.otp import current_code

Ward = dict[str, demo.Login]
LIMIT = 6
THROTTLED = "この端末からのログインを一時的に制限しています"
ATTACKER = "192.0.2.66"
OFFICE = "198.51.100.7"

pytestmark = pytest.mark.usefixtures("small_limit")


@pytest.fixture
def small_limit() -> Any:
    with override_settings(ADDRESS_FAILURE_LIMIT=LIMIT, ADDRESS_COOLOFF=timedelta(minutes=10)):
        yield


def attempt(username: str, password: str = "wrong-password", address: str = ATTACKER, **extra: str) -> Any:
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password}, **extra)


def lockouts() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="address_lockout").order_by("seq"))


def test_unknown_ids_from_one_address_past_the_limit_get_429_in_japanese(db: None) -> None:
    for n in range(LIMIT):
        assert attempt(f"nobody-{n}").status_code == 200
    response = attempt("nobody-next")
    assert response.status_code == 429
    assert THROTTLED in response.content.decode()
    assert 590 <= int(response["Retry-After"]) <= 600
    for _ in range(3):
        assert attempt("nobody-more").status_code == 429
    # logged once, when the limit was reached; the refused attempts are neither counted nor logged
    [entry] = lockouts()
    assert entry.object == f"address:{ATTACKER}" and entry.client_ip == ATTACKER and entry.outcome == "denied"
    assert entry.detail == {"failures": LIMIT, "minutes": 10}
    assert AccessFailureLog.objects.filter(ip_address=ATTACKER).count() == LIMIT
    assert not AuditEntry.objects.filter(action="login_failed", actor="nobody-more").exists()


def test_an_operator_at_another_address_still_logs_in(ward: Ward) -> None:
    for n in range(LIMIT):
        attempt(f"nobody-{n}")
    assert attempt("zeimu-view", ward["zeimu-view"].password).status_code == 429
    office = Client(REMOTE_ADDR=OFFICE)
    response = office.post("/accounts/login/", {"username": "zeimu-view", "password": ward["zeimu-view"].password})
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"
    user = User.objects.get(username="zeimu-view")
    assert office.post("/accounts/verify/", {"token": current_code(user)}).status_code == 302


def test_a_refused_attempt_does_not_count_against_the_id(ward: Ward) -> None:
    for n in range(LIMIT):
        attempt(f"nobody-{n}")
    for _ in range(6):
        assert attempt("zeimu-get").status_code == 429
    assert not AccessAttempt.objects.filter(username="zeimu-get").exists()
    assert attempt("zeimu-get", ward["zeimu-get"].password, address=OFFICE).status_code == 302


def test_the_per_id_lockout_still_locks_one_id_below_the_address_limit(ward: Ward) -> None:
    for n in range(5):
        response = attempt("kaigo-send", f"wrong-{n}", address=OFFICE)
    assert response.status_code == 403 and "アカウントがロックされています" in response.content.decode()
    # five failures from the address, one fewer than its limit: another ID logs in from there
    assert attempt("kaigo-approve", ward["kaigo-approve"].password, address=OFFICE).status_code == 302
    assert attempt("kaigo-send", ward["kaigo-send"].password, address=OFFICE).status_code == 403


def test_wrong_second_factors_count_toward_the_address_limit(ward: Ward) -> None:
    user = User.objects.get(username="zeimu-view")
    client = Client(REMOTE_ADDR=ATTACKER)
    client.post("/accounts/login/", {"username": "zeimu-view", "password": ward["zeimu-view"].password})
    for n in range(LIMIT - 2):
        attempt(f"nobody-{n}")
    for _ in range(2):
        for device in user.totpdevice_set.all():
            device.throttle_reset()
        assert client.post("/accounts/verify/", {"token": "000000"}).status_code == 200
    response = client.post("/accounts/verify/", {"token": current_code(user)})
    assert response.status_code == 429 and THROTTLED in response.content.decode()
    assert len(lockouts()) == 1


def test_the_refusal_ends_one_window_after_the_limit_was_reached(ward: Ward) -> None:
    for n in range(LIMIT):
        attempt(f"nobody-{n}")
    assert attempt("nobody").status_code == 429
    AccessFailureLog.objects.update(
        attempt_time=AccessFailureLog.objects.latest("attempt_time").attempt_time - timedelta(minutes=10, seconds=1)
    )
    assert attempt("zeimu-view", ward["zeimu-view"].password).status_code == 302
    # the count starts again: one more failure does not refuse the address
    assert attempt("nobody").status_code == 200
    assert attempt("nobody").status_code == 200


def test_forwarded_for_from_an_unlisted_proxy_does_not_change_the_counted_address(db: None) -> None:
    for n in range(LIMIT):
        attempt(f"nobody-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert attempt("nobody", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_forwarded_for_from_a_trusted_proxy_counts_each_client_on_its_own(db: None) -> None:
    with override_settings(TRUSTED_PROXIES=[ATTACKER]):
        for n in range(LIMIT):
            attempt(f"nobody-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert attempt("somebody", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 200
        for n in range(LIMIT - 1):
            attempt(f"other-{n}", HTTP_X_FORWARDED_FOR="203.0.113.99")
        assert attempt("somebody", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
        assert attempt("somebody", HTTP_X_FORWARDED_FOR="203.0.113.98").status_code == 200
    assert [e.object for e in lockouts()] == ["address:203.0.113.99"]
