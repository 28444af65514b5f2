"""The acknowledgement gate (:mod:`kokin.training.gate`): an operator whose acknowledgement of the handling
rules is missing or lapsed reaches only the acknowledgement page, logout, static files and the login
steps until they acknowledge; then they go where they were going. The API answers such an operator's token
with 403. The system administrator and the auditor are not stopped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kokin.accounts.models import User
from kokin.api.services import create_token
from kokin.audit.models import AuditEntry
from kokin.training import selectors
from kokin.training.gate import API_MESSAGE
from kokin.training.models import Acknowledgement, HandlingRules
from support.otp import current_code
from support.training import acknowledged, backdate, rules_in_effect

Login = Callable[..., Client]
ACK = "/training/acknowledge/"
#: pages of every kind an operator uses, each of which a lapsed operator must not reach
GATED_PAGES = ["/", "/files/", "/files/certificates/", "/accounts/security/", "/accounts/grants/", "/training/"]


def user(name: str) -> User:
    return User.objects.get(username=name)


def lapse(name: str) -> None:
    Acknowledgement.objects.filter(user__username=name).delete()


def effective_long_ago(days: int = 1000) -> HandlingRules:
    """The rules in effect, as though they took effect ``days`` days ago (acknowledgements may be that old)."""
    rules = rules_in_effect()
    rules.effective_from = timezone.localdate() - dt.timedelta(days=days)
    rules.save(update_fields=["effective_from"])
    return rules


def test_the_demo_operators_start_with_a_current_acknowledgement(ward: Any) -> None:
    found = selectors.status()
    assert {s.user.username for s in found} == {
        "zeimu-view",
        "zeimu-get",
        "zeimu-send",
        "zeimu-approve",
        "zeimu-manage",
        "kokuho-send",
        "kokuho-approve",
        "kaigo-send",
        "kaigo-approve",
        "seiso-get",
    }
    assert not [s.user.username for s in found if s.lapsed]
    assert all(s.due == timezone.localdate() + dt.timedelta(days=364) for s in found)


def test_a_lapsed_operator_is_sent_to_the_acknowledgement_page_from_every_other_page(login_as: Login) -> None:
    client = login_as("zeimu-manage")
    lapse("zeimu-manage")
    for page in GATED_PAGES:
        response = client.get(page)
        assert response.status_code == 303, page
        assert response["Location"] == f"{ACK}?next={page.replace('/', '%2F')}", page
    # a change is refused too, and sent to the page without a way back to the form
    response = client.post("/files/upload/zeimu-furikae/", {})
    assert response.status_code == 303 and response["Location"] == ACK
    # the redirects are not logged as pages seen
    assert not AuditEntry.objects.filter(action="view", actor="zeimu-manage", object__in=GATED_PAGES).exists()


def test_a_lapsed_operator_still_reaches_the_acknowledgement_page_logout_static_files_and_login_steps(
    login_as: Login, settings: Any
) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # static files served as in development, ahead of the gate
    client = login_as("zeimu-view")
    lapse("zeimu-view")
    page = client.get(ACK + "?next=/files/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "上記の取扱規程を読み、遵守します" in text and "第1条 (目的)" in text
    assert "ほかの画面は使えません" in text
    assert client.get("/static/kokin/app.css").status_code == 200
    assert client.get("/static/training/training.css").status_code == 200
    # the password change is a login step: an operator asked for it gets there, then to the rules
    operator = user("zeimu-view")
    operator.must_change_password = True
    operator.save(update_fields=["must_change_password"])
    assert client.get("/accounts/password/").status_code == 200
    operator.must_change_password = False
    operator.save(update_fields=["must_change_password"])
    logout = client.post("/accounts/logout/")
    assert logout.status_code == 302 and logout["Location"] == "/accounts/login/"
    # the login steps themselves: password, then second factor, then the rules first
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/accounts/login/", {"username": "zeimu-view", "password": "wrong"}).status_code == 200


def test_after_logging_in_a_lapsed_operator_acknowledges_and_goes_on_to_the_page_asked_for(
    ward: dict[str, Any],
) -> None:
    lapse("zeimu-get")
    operator = user("zeimu-get")
    operator.must_change_password = False
    operator.save(update_fields=["must_change_password"])
    client = Client()
    response = client.post("/accounts/login/", {"username": "zeimu-get", "password": ward["zeimu-get"].password})
    assert response.status_code == 302
    response = client.post("/accounts/verify/", {"token": current_code(operator)})
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 303 and home["Location"].startswith(ACK)
    # the box unticked: the page again, naming what is missing
    refused = client.post(ACK, {"version": "1", "next": "/files/"})
    assert refused.status_code == 200
    assert "「上記の取扱規程を読み、遵守します」にチェックを入れてください" in refused.content.decode()
    assert client.get("/files/").status_code == 303
    done = client.post(ACK, {"agree": "on", "version": "1", "next": "/files/"})
    assert done.status_code == 303 and done["Location"] == "/files/"
    assert client.get("/files/").status_code == 200
    assert client.get("/").status_code == 200
    rules = rules_in_effect()
    made = Acknowledgement.objects.get(user=operator)
    assert (made.rules_version, made.text_sha256, made.client_address) == (1, rules.sha256, "127.0.0.1")
    entry = AuditEntry.objects.filter(action="training_acknowledge", actor="zeimu-get").get()
    assert entry.object == "handling_rules:1" and entry.sha256 == rules.sha256
    assert entry.detail["user"] == "zeimu-get" and entry.client_ip == "127.0.0.1"


def test_the_next_page_must_be_on_this_site(login_as: Login) -> None:
    client = login_as("zeimu-view")
    lapse("zeimu-view")
    done = client.post(ACK, {"agree": "on", "version": "1", "next": "https://evil.example/"})
    assert done.status_code == 303 and done["Location"] == "/"


@pytest.mark.parametrize(("days_ago", "lapsed"), [(364, False), (365, True)])
def test_an_acknowledgement_older_than_the_setting_lapses(
    login_as: Login, settings: Any, days_ago: int, lapsed: bool
) -> None:
    client = login_as("zeimu-send")
    effective_long_ago()
    backdate(user("zeimu-send"), days_ago)
    assert settings.ACKNOWLEDGEMENT_DAYS == 365
    assert client.get("/files/").status_code == (303 if lapsed else 200)
    # a shorter setting takes effect at once
    settings.ACKNOWLEDGEMENT_DAYS = 30
    assert client.get("/files/").status_code == 303
    status = selectors.status_of(user("zeimu-send"))
    assert status.lapsed and status.due == timezone.localdate() - dt.timedelta(days=days_ago - 29)


def test_a_new_version_of_the_rules_lapses_every_operator_once_it_takes_effect(login_as: Login) -> None:
    client = login_as("zeimu-approve")
    first = rules_in_effect()
    today = timezone.localdate()
    HandlingRules.objects.create(version=2, title=first.title, text=first.text + "\n第8条 追加", effective_from=today)
    HandlingRules.objects.filter(version=1).update(effective_from=today - dt.timedelta(days=30))
    assert all(s.lapsed and s.rules.version == 2 for s in selectors.status())
    response = client.get("/files/")
    assert response.status_code == 303
    page = client.get(response["Location"])
    assert "第2版" in page.content.decode() and "第8条 追加" in page.content.decode()
    # the page showed version 2; a form still holding version 1 is sent back to read the new one
    stale = client.post(ACK, {"agree": "on", "version": "1", "next": "/files/"}, follow=True)
    assert "第2版に改訂されました" in stale.content.decode()
    assert client.get("/files/").status_code == 303
    done = client.post(ACK, {"agree": "on", "version": "2", "next": "/files/"})
    assert done.status_code == 303 and client.get("/files/").status_code == 200
    assert Acknowledgement.objects.filter(user__username="zeimu-approve").latest("at").rules_version == 2
    # a version that takes effect tomorrow asks nothing yet
    HandlingRules.objects.create(version=3, title="次の版", text="…", effective_from=today + dt.timedelta(days=1))
    assert client.get("/files/").status_code == 200


def test_the_administrator_and_the_auditor_are_not_gated(login_as: Login) -> None:
    Acknowledgement.objects.all().delete()
    admin, auditor = login_as("sysadmin"), login_as("auditor")
    for client, pages in ((admin, ["/", "/manage/", "/training/", "/incidents/"]), (auditor, ["/", "/audit/"])):
        for page in pages:
            assert client.get(page).status_code == 200, page
    assert not selectors.must_acknowledge(user("sysadmin")) and not selectors.must_acknowledge(user("auditor"))
    # both find the training page from every page; everyone finds the rules
    assert 'href="/training/"' in admin.get("/").content.decode()
    assert f'href="{ACK}"' in auditor.get("/").content.decode()
    # they may still read and acknowledge the rules
    assert admin.post(ACK, {"agree": "on", "version": "1"}).status_code == 303
    assert Acknowledgement.objects.filter(user__username="sysadmin").count() == 1


def test_an_operator_created_later_must_acknowledge_before_first_use(login_as: Login, ward: Any) -> None:
    newcomer = User.objects.create_user("tanaka", password="Kokin-Strong-Pass-2025", must_change_password=False)
    assert not selectors.must_acknowledge(newcomer)  # no business role yet: nothing to stop
    view = user("zeimu-view").roles.first()
    assert view is not None
    newcomer.roles.create(business=view.business, role=view.role)
    assert selectors.must_acknowledge(newcomer)
    acknowledged(newcomer)
    assert not selectors.must_acknowledge(newcomer)


def test_with_no_rules_in_effect_nobody_is_stopped(login_as: Login) -> None:
    client = login_as("zeimu-view")
    Acknowledgement.objects.all().delete()
    HandlingRules.objects.update(effective_from=timezone.localdate() + dt.timedelta(days=10))
    assert client.get("/files/").status_code == 200
    assert "現在施行中の取扱規程はありません" in client.get(ACK).content.decode()


def test_the_api_answers_a_lapsed_operators_token_with_403_and_the_reason(ward: Any) -> None:
    _, token = create_token(user=user("zeimu-get"), name="gate")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/me", **headers).status_code == 200
    lapse("zeimu-get")
    response = Client().get("/api/me", **headers)
    assert response.status_code == 403
    assert response.json() == {"detail": API_MESSAGE}
    assert "取扱規程の確認が必要です" in API_MESSAGE and "acknowledge the handling rules" in API_MESSAGE
    denied = AuditEntry.objects.filter(action="api_view", actor="zeimu-get", outcome="denied").latest("seq")
    assert denied.detail == {"reason": "acknowledgement_lapsed"}
    download = Client().get("/api/businesses/zeimu-shuno/files", **headers)
    assert download.status_code == 403 and download.json()["detail"] == API_MESSAGE
    acknowledged(user("zeimu-get"))
    assert Client().get("/api/me", **headers).status_code == 200


def test_the_api_does_not_stop_the_administrators_token(ward: Any) -> None:
    Acknowledgement.objects.all().delete()
    _, token = create_token(user=user("auditor"), name="gate")
    response = Client().get("/api/audit/entries", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
