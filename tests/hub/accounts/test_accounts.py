"""Login with a second factor, enrolment, recovery codes, lockout, sessions, passwords, terminals,
the security settings page and the system administrator's pages (``/manage/``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts import network, pki, services
from kokin.accounts.admin import site as admin_site
from kokin.accounts.models import Business, DataKind, Department, RoleAssignment, Terminal, User, WebAuthnDevice
from kokin.accounts.renewal import SESSION_RENEWED_AT
from kokin.audit.models import AuditEntry
from kokin.demo import ward as demo
from kokin.registers.models import ResponsiblePerson
from kokin.training.models import Course, HandlingRules
from support.otp import code_from_secret, current_code

Ward = dict[str, demo.Login]
LoginAs = Callable[..., Client]
STRONG = "Kokin-Strong-Pass-2025"
LOCKED = "アカウントがロックされています"


def password_login(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def wrong_code(user: User) -> str:
    return f"{(int(current_code(user)) + 500_000) % 1_000_000:06d}"


def allow_next_code(user: User) -> None:
    """Skip django-otp's back-off (1, 2, 4 ... seconds after a wrong code) instead of sleeping."""
    for device in TOTPDevice.objects.filter(user=user):
        device.throttle_reset()


def entries(action: str, **filters: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("seq"))


def make_operator(username: str = "tanaka", *, department: str | None = "zeimu", totp: bool = True) -> User:
    user = User.objects.create_user(
        username=username,
        password=STRONG,
        display_name="田中 一郎",
        department=Department.objects.get(code=department) if department else None,
        must_change_password=False,
    )
    if totp:
        TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=True)
    return user


def full_login(client: Client, user: User, password: str = STRONG) -> None:
    assert password_login(client, user.username, password).status_code == 302
    response = client.post("/accounts/verify/", {"token": current_code(user)})
    assert response.status_code == 302 and response["Location"] == "/", response.content.decode()


def age_password_entry(client: Client) -> None:
    session = client.session
    session[services.SESSION_AUTH_AT] = int(time.time()) - services.REAUTH_SECONDS - 60
    session.save()


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", page)


# --- the second factor -------------------------------------------------------------------------


def test_password_then_totp_reaches_home_and_logs_the_second_factor(ward: Ward) -> None:
    client = Client()
    user = User.objects.get(username="zeimu-send")
    user.must_change_password = False
    user.save()
    response = password_login(client, "zeimu-send", ward["zeimu-send"].password)
    assert response["Location"] == "/accounts/verify/"
    page = client.get("/accounts/verify/").content.decode()
    assert "本人確認 (第2要素)" in page and "確認コード" in page
    response = client.post("/accounts/verify/", {"token": current_code(user)})
    assert response["Location"] == "/"
    assert "担当業務" in client.get("/").content.decode()
    [entry] = entries("second_factor", actor="zeimu-send")
    assert entry.outcome == "success" and entry.detail["factor"] == "totp"
    assert (entry.role, entry.department, entry.client_ip) == ("操作担当者", "税務課", "127.0.0.1")


def test_wrong_totp_code_is_refused_in_japanese_and_logged(ward: Ward) -> None:
    client = Client()
    user = User.objects.get(username="zeimu-view")
    password_login(client, "zeimu-view", ward["zeimu-view"].password)
    typed = wrong_code(user)
    response = client.post("/accounts/verify/", {"token": typed})
    assert response.status_code == 200
    assert "確認コードが正しくありません。" in response.content.decode()
    assert typed not in AccessAttempt.objects.get(username="zeimu-view").post_data  # masked in axes' record
    assert client.get("/")["Location"] == "/accounts/verify/"
    [entry] = entries("second_factor", actor="zeimu-view")
    assert entry.outcome == "failure" and entry.detail == {"factor": "totp"}


def test_code_sent_during_the_back_off_is_refused_even_if_right(ward: Ward) -> None:
    client = Client()
    user = User.objects.get(username="zeimu-view")
    password_login(client, "zeimu-view", ward["zeimu-view"].password)
    client.post("/accounts/verify/", {"token": wrong_code(user)})
    response = client.post("/accounts/verify/", {"token": current_code(user)})
    assert "数秒待ってから" in response.content.decode()
    allow_next_code(user)
    assert client.post("/accounts/verify/", {"token": current_code(user)})["Location"] == "/"


def test_five_wrong_totp_codes_lock_the_id_and_end_the_session(ward: Ward) -> None:
    client = Client()
    user = User.objects.get(username="zeimu-view")
    password_login(client, "zeimu-view", ward["zeimu-view"].password)
    for attempt in range(1, 6):
        allow_next_code(user)
        response = client.post("/accounts/verify/", {"token": wrong_code(user)})
        if attempt < 5:
            assert response.status_code == 200
    assert response.status_code == 403 and LOCKED in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")  # logged out
    assert len(entries("second_factor", actor="zeimu-view", outcome="failure")) == 5
    # the right password does not get past the lockout either
    response = password_login(Client(), "zeimu-view", ward["zeimu-view"].password)
    assert response.status_code == 403 and LOCKED in response.content.decode()


def test_wrong_passwords_and_wrong_codes_add_up_to_one_lockout(ward: Ward) -> None:
    user = User.objects.get(username="zeimu-get")
    for _ in range(3):
        assert password_login(Client(), "zeimu-get", "wrong-password").status_code == 200
    client = Client()
    # a right password does not clear the count (else four guesses of the code per password entry)
    assert password_login(client, "zeimu-get", ward["zeimu-get"].password).status_code == 302
    assert client.post("/accounts/verify/", {"token": wrong_code(user)}).status_code == 200
    allow_next_code(user)
    response = client.post("/accounts/verify/", {"token": wrong_code(user)})
    assert response.status_code == 403 and LOCKED in response.content.decode()


def test_completed_login_clears_earlier_failures(ward: Ward) -> None:
    user = User.objects.get(username="zeimu-get")
    for _ in range(4):
        password_login(Client(), "zeimu-get", "wrong-password")
    assert AccessAttempt.objects.filter(username="zeimu-get").exists()
    full_login(Client(), user, ward["zeimu-get"].password)
    assert not AccessAttempt.objects.filter(username="zeimu-get").exists()
    for _ in range(4):
        response = password_login(Client(), "zeimu-get", "wrong-password")
    assert response.status_code == 200


def test_five_wrong_passwords_lock_the_id_for_the_right_password_too(ward: Ward) -> None:
    for attempt in range(1, 6):
        response = password_login(Client(), "kaigo-send", f"wrong-{attempt}")
    assert response.status_code == 403 and LOCKED in response.content.decode()
    response = password_login(Client(), "kaigo-send", ward["kaigo-send"].password)
    assert response.status_code == 403
    # another ID from the same address is not locked (lockout is per ID)
    assert password_login(Client(), "kaigo-approve", ward["kaigo-approve"].password).status_code == 302


def test_recovery_code_logs_in_once_and_is_used_up(login_as: LoginAs, ward: Ward) -> None:
    client = login_as("zeimu-view")
    codes = codes_on(client.post("/accounts/security/recovery-codes/").content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post("/accounts/logout/")
    other = Client()
    password_login(other, "zeimu-view", ward["zeimu-view"].password)
    verify_page = other.get("/accounts/verify/").content.decode()
    assert "回復コードを使う" in verify_page
    typed = " " + codes[0].upper() + " "  # as read from paper: capitals and spaces are fine
    response = other.post("/accounts/verify/", {"method": "recovery", "recovery-token": typed})
    assert response["Location"] == "/"
    assert "残りの回復コードは 9 個です" in other.get("/").content.decode()
    assert StaticToken.objects.filter(device__user__username="zeimu-view").count() == 9
    [entry] = entries("second_factor", actor="zeimu-view", outcome="success")[-1:]
    assert entry.detail["factor"] == "recovery"
    other.post("/accounts/logout/")
    third = Client()
    password_login(third, "zeimu-view", ward["zeimu-view"].password)
    response = third.post("/accounts/verify/", {"method": "recovery", "recovery-token": codes[0]})
    assert response.status_code == 200 and "回復コードが正しくありません。" in response.content.decode()


# --- enrolment at first login ------------------------------------------------------------------


def test_first_login_enrols_an_authenticator_app_and_shows_ten_recovery_codes_once(ward: Ward) -> None:
    user = make_operator(totp=False)
    client = Client()
    password_login(client, user.username, STRONG)
    assert client.get("/accounts/verify/")["Location"] == "/accounts/enrol/"
    page = client.get("/accounts/enrol/").content.decode()
    assert 'src="data:image/svg+xml' in page and "認証アプリの登録" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page)
    assert secret is not None
    assert secret.group(1) in client.get("/accounts/enrol/").content.decode()  # a reload keeps the secret
    wrong = f"{(int(code_from_secret(secret.group(1))) + 500_000) % 1_000_000:06d}"
    response = client.post("/accounts/enrol/", {"token": wrong})
    assert "確認コードが正しくありません" in response.content.decode()
    allow_next_code(user)
    response = client.post("/accounts/enrol/", {"token": code_from_secret(secret.group(1))})
    page = response.content.decode()
    assert response.status_code == 200 and "この画面は一度だけ表示されます" in page
    assert len(codes_on(page)) == 10
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert [e.detail["factor"] for e in entries("factor_enrol", actor=user.username)] == ["totp"]
    assert entries("factor_recovery_codes", actor=user.username)
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/security/"


def test_enrolment_is_closed_to_an_operator_who_has_a_factor(ward: Ward) -> None:
    client = Client()
    password_login(client, "zeimu-view", ward["zeimu-view"].password)
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/verify/"
    assert client.post("/accounts/enrol/", {"token": "123456"})["Location"] == "/accounts/verify/"
    assert TOTPDevice.objects.filter(user__username="zeimu-view").count() == 1


# --- sessions ----------------------------------------------------------------------------------


def test_idle_session_expires_and_the_operator_is_logged_out(login_as: LoginAs, settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.IDLE_MINUTES * 60 == 15 * 60
    client = login_as("zeimu-view")
    key = client.session.session_key
    before = timezone.now()
    assert client.get("/").status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=14) < expiry - before <= timedelta(minutes=15, seconds=5)  # renewed by the request
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_new_login_ends_the_older_session(login_as: LoginAs) -> None:
    first = login_as("zeimu-view")
    second = login_as("zeimu-view", Client())
    response = first.get("/")
    assert response["Location"] == "/accounts/login/?reason=superseded"
    assert "別の端末でログインしたため" in first.get(response["Location"]).content.decode()
    assert second.get("/").status_code == 200
    assert entries("session_superseded", actor="zeimu-view")


def test_a_password_alone_does_not_end_the_operators_session(login_as: LoginAs, ward: Ward) -> None:
    first = login_as("zeimu-view")
    assert password_login(Client(), "zeimu-view", ward["zeimu-view"].password).status_code == 302
    assert first.get("/").status_code == 200


# --- passwords ---------------------------------------------------------------------------------


def test_initial_password_must_be_changed_before_any_other_page(ward: Ward) -> None:
    client = Client()
    user = User.objects.get(username="zeimu-approve")
    assert user.must_change_password
    password_login(client, "zeimu-approve", ward["zeimu-approve"].password)
    assert client.get("/accounts/password/")["Location"] == "/accounts/verify/"  # second factor first
    client.post("/accounts/verify/", {"token": current_code(user)})
    assert client.get("/")["Location"] == "/accounts/password/"
    assert client.get("/manage/")["Location"] == "/accounts/password/"
    assert "初期パスワードのままです" in client.get("/accounts/password/").content.decode()
    response = client.post(
        "/accounts/password/",
        {"old_password": ward["zeimu-approve"].password, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response["Location"] == "/"
    assert "ホーム" in client.get("/").content.decode()
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(STRONG)
    assert entries("password_change", actor="zeimu-approve")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!short", "短すぎます"),
        ("zeimu-view-2025", "似すぎています"),
        ("318273645091827", "数字しか使われていません"),
        ("nocapitalsnodigits", "3種類以上"),
        ("Password1234", "よく使われる"),
    ],
)
def test_password_policy_refuses_weak_passwords_in_japanese(
    login_as: LoginAs, ward: Ward, password: str, message: str
) -> None:
    client = login_as("zeimu-view")
    response = client.post(
        "/accounts/password/",
        {"old_password": ward["zeimu-view"].password, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(username="zeimu-view").check_password(ward["zeimu-view"].password)


# --- terminal restriction ----------------------------------------------------------------------


def restrict_department(networks: str) -> None:
    Department.objects.filter(code="zeimu").update(allowed_networks=networks)


def test_login_from_inside_the_departments_network_is_allowed(ward: Ward) -> None:
    user = make_operator()
    restrict_department("10.1.0.0/16\n192.0.2.0/24")
    full_login(Client(REMOTE_ADDR="10.1.2.3"), user)


def test_login_from_outside_the_departments_network_is_refused_and_logged(ward: Ward) -> None:
    user = make_operator()
    restrict_department("10.1.0.0/16")
    client = Client(REMOTE_ADDR="172.16.0.5")
    response = password_login(client, user.username, STRONG)
    assert response.status_code == 403
    assert "この端末からは利用できません" in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    [entry] = entries("terminal_denied", actor=user.username)
    assert entry.outcome == "denied" and entry.client_ip == "172.16.0.5"


def test_session_is_ended_when_the_department_is_restricted_later(ward: Ward) -> None:
    user = make_operator()
    client = Client(REMOTE_ADDR="172.16.0.5")
    full_login(client, user)
    restrict_department("10.1.0.0/16")
    assert client.get("/").status_code == 403
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_forwarded_address_counts_only_from_a_trusted_proxy(ward: Ward, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["192.0.2.10"]
    user = make_operator()
    restrict_department("10.1.0.0/16")
    full_login(Client(REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.1.9.9"), user)
    client = Client(REMOTE_ADDR="192.0.2.99", HTTP_X_FORWARDED_FOR="10.1.9.9")
    assert password_login(client, user.username, STRONG).status_code == 403


def test_bound_certificate_fingerprint_is_required_from_a_trusted_proxy(ward: Ward, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["192.0.2.10"]
    user = make_operator()
    fingerprint = "AB" * 32
    user.client_cert_fingerprint = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).lower()
    user.save()
    full_login(Client(REMOTE_ADDR="192.0.2.10", HTTP_X_CLIENT_CERT_FINGERPRINT=fingerprint), user)
    other_cert = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_CLIENT_CERT_FINGERPRINT="CD" * 32)
    assert password_login(other_cert, user.username, STRONG).status_code == 403
    untrusted = Client(REMOTE_ADDR="192.0.2.99", HTTP_X_CLIENT_CERT_FINGERPRINT=fingerprint)
    assert password_login(untrusted, user.username, STRONG).status_code == 403


def test_escaped_pem_certificate_from_a_trusted_proxy_is_fingerprinted(
    ward: Ward, settings: Any, tmp_path: Path
) -> None:
    settings.TRUSTED_PROXIES = ["192.0.2.10"]
    cert_path, _, fingerprint = pki.issue_client_cert("madoguchi-01", tmp_path)
    escaped = quote(cert_path.read_text(encoding="ascii"), safe="")  # nginx $ssl_client_escaped_cert
    user = make_operator()
    user.client_cert_fingerprint = fingerprint
    user.save()
    trusted = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_CLIENT_CERT=escaped)
    response = password_login(trusted, user.username, STRONG)
    assert response.status_code == 302
    request = response.wsgi_request
    assert network.client_cert_fingerprint(request) == fingerprint
    garbage = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_CLIENT_CERT=quote("-----BEGIN CERTIFICATE-----\nxx"))
    assert password_login(garbage, user.username, STRONG).status_code == 403
    untrusted = Client(REMOTE_ADDR="192.0.2.99", HTTP_X_CLIENT_CERT=escaped)
    assert password_login(untrusted, user.username, STRONG).status_code == 403


# --- security settings page --------------------------------------------------------------------


def test_security_page_lists_the_factors(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    WebAuthnDevice.objects.create(
        user=User.objects.get(username="zeimu-view"), name="窓口のキー", credential_id="abc", public_key=b"k"
    )
    page = client.get("/accounts/security/").content.decode()
    assert "認証アプリ (TOTP)" in page and "窓口のキー" in page and "残り 0 / 10 個" in page
    assert 'data-webauthn-ceremony="register"' in page and "kokin/webauthn.js" in page


def test_security_page_needs_the_second_factor(ward: Ward) -> None:
    client = Client()
    password_login(client, "zeimu-view", ward["zeimu-view"].password)
    assert client.get("/accounts/security/")["Location"] == "/accounts/verify/"
    assert client.post("/accounts/security/recovery-codes/")["Location"] == "/accounts/verify/"
    assert not StaticDevice.objects.filter(user__username="zeimu-view").exists()


def test_new_recovery_codes_need_a_recent_password_and_replace_the_old(login_as: LoginAs, ward: Ward) -> None:
    client = login_as("zeimu-view")
    old = codes_on(client.post("/accounts/security/recovery-codes/").content.decode())
    age_password_entry(client)
    response = client.post("/accounts/security/recovery-codes/")
    assert response["Location"] == "/accounts/reauth/?next=%2Faccounts%2Fsecurity%2F"
    response = client.post(
        "/accounts/reauth/", {"password": ward["zeimu-view"].password, "next": "/accounts/security/"}
    )
    assert response["Location"] == "/accounts/security/"
    new = codes_on(client.post("/accounts/security/recovery-codes/").content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    tokens = set(StaticToken.objects.filter(device__user__username="zeimu-view").values_list("token", flat=True))
    assert tokens == {c.replace("-", "") for c in new}
    assert len(entries("factor_recovery_codes", actor="zeimu-view")) == 2
    assert entries("reauth", actor="zeimu-view")


def test_wrong_password_at_re_entry_counts_toward_the_lockout(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    age_password_entry(client)
    for _ in range(5):
        response = client.post("/accounts/reauth/", {"password": "not-my-password"})
    assert response.status_code == 403 and LOCKED in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_reauth_does_not_redirect_off_site(login_as: LoginAs, ward: Ward) -> None:
    client = login_as("zeimu-view")
    response = client.post(
        "/accounts/reauth/", {"password": ward["zeimu-view"].password, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/accounts/security/"


def test_resetting_the_authenticator_app_replaces_its_secret(login_as: LoginAs, ward: Ward) -> None:
    client = login_as("zeimu-view")
    user = User.objects.get(username="zeimu-view")
    old_key = TOTPDevice.objects.get(user=user, confirmed=True).key
    page = client.get("/accounts/security/totp/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page)
    assert secret is not None and 'src="data:image/svg+xml' in page
    response = client.post("/accounts/security/totp/", {"token": code_from_secret(secret.group(1))})
    assert response["Location"] == "/accounts/security/"
    assert client.get("/").status_code == 200  # still verified, now by the new app
    [device] = TOTPDevice.objects.filter(user=user)
    assert device.confirmed and device.key != old_key
    assert entries("factor_totp_reset", actor="zeimu-view")


def test_resetting_the_authenticator_app_needs_a_recent_password(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    age_password_entry(client)
    response = client.get("/accounts/security/totp/")
    assert response["Location"] == "/accounts/reauth/?next=%2Faccounts%2Fsecurity%2Ftotp%2F"


# --- the system administrator's pages ----------------------------------------------------------


def test_manage_is_open_only_to_a_verified_system_administrator(login_as: LoginAs, ward: Ward) -> None:
    assert login_as("sysadmin").get("/manage/").status_code == 200
    operator = login_as("zeimu-manage")
    response = operator.get("/manage/", follow=True)
    assert response.status_code == 403
    password_only = Client()
    password_login(password_only, "sysadmin", ward["sysadmin"].password)
    assert password_only.get("/manage/")["Location"] == "/accounts/verify/"
    assert Client().get("/manage/", follow=True).request["PATH_INFO"] == "/accounts/login/"


def test_manage_offers_the_account_models_and_no_file_or_log(login_as: LoginAs) -> None:
    models = {Department, Business, DataKind, User, RoleAssignment, Terminal, ResponsiblePerson, Course, HandlingRules}
    # the equipment register, the responsible person, training courses and handling rules too
    assert set(admin_site._registry) == models
    client = login_as("sysadmin")
    page = client.get("/manage/").content.decode()
    assert "利用者" in page and "操作ログ" not in page
    for path in ("/manage/audit/auditentry/", "/manage/otp_totp/totpdevice/", "/manage/axes/accessattempt/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/manage/accounts/user/").status_code == 200


def test_admin_reset_removes_password_and_factors_and_ends_the_session(login_as: LoginAs, ward: Ward) -> None:
    operator = login_as("zeimu-view")
    user = User.objects.get(username="zeimu-view")
    WebAuthnDevice.objects.create(user=user, name="キー", credential_id="abc", public_key=b"k")
    admin = login_as("sysadmin")
    response = admin.post(
        "/manage/accounts/user/", {"action": "reset_factors", ACTION_CHECKBOX_NAME: [user.pk]}, follow=True
    )
    assert "登録用リンク" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not WebAuthnDevice.objects.filter(user=user).exists()
    assert operator.get("/")["Location"].startswith("/accounts/login/")
    [entry] = entries("factor_reset", actor="sysadmin")
    assert entry.object == "user:zeimu-view" and entry.detail == {"removed": 2}
    assert entry.role == "システム管理者" and entry.client_ip == "127.0.0.1"
    [issued] = entries("enrolment_link_issue", actor="sysadmin")
    assert issued.object == "user:zeimu-view" and issued.detail["link_sent_to"] == "administrator"
    # the old password no longer works: only the link gives the operator a way back in
    assert password_login(Client(), "zeimu-view", ward["zeimu-view"].password).status_code == 200


def test_admin_unlocks_a_locked_operator(login_as: LoginAs, ward: Ward) -> None:
    for _ in range(5):
        password_login(Client(), "kokuho-send", "wrong-password")
    user = User.objects.get(username="kokuho-send")
    assert services.locked_usernames(["kokuho-send", "zeimu-view"]) == {"kokuho-send"}
    admin = login_as("sysadmin")
    assert 'alt="True"' in admin.get("/manage/accounts/user/?q=kokuho-send").content.decode()
    response = admin.post("/manage/accounts/user/", {"action": "unlock", ACTION_CHECKBOX_NAME: [user.pk]}, follow=True)
    assert "1 人のロックを解除しました" in response.content.decode()
    assert password_login(Client(), "kokuho-send", ward["kokuho-send"].password).status_code == 302
    assert [e.object for e in entries("account_unlock", actor="sysadmin")] == ["user:kokuho-send"]


def _add_user_form() -> dict[str, object]:
    return {
        "username": "suzuki",
        "display_name": "鈴木 花子",
        "email": "",
        "department": Department.objects.get(code="kaigo").pk,
        "is_active": "on",
        "client_cert_fingerprint": "",
        "password1": STRONG,  # no such field any more: ignored
        "password2": STRONG,
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }


def test_admin_creates_an_account_without_a_password_and_gets_an_enrolment_link(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    assert 'type="password"' not in admin.get("/manage/accounts/user/add/").content.decode()
    response = admin.post("/manage/accounts/user/add/", _add_user_form(), follow=True)
    assert response.status_code == 200, response.content.decode()
    user = User.objects.get(username="suzuki")
    assert not user.has_usable_password() and not user.check_password(STRONG) and not user.is_staff
    assert "/accounts/enrolment/" in response.content.decode()
    assert [e.object.split()[0] for e in entries("admin_add", actor="sysadmin")] == [f"accounts.user:{user.pk}"]
    [issued] = entries("enrolment_link_issue", actor="sysadmin")
    assert issued.object == "user:suzuki" and issued.detail["new_account"] is True


def test_admin_change_form_sets_no_password_and_keeps_the_roles(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    user = User.objects.get(username="seiso-get")
    before = user.password
    assert 'type="password"' not in admin.get(f"/manage/accounts/user/{user.pk}/change/").content.decode()
    form = {
        "username": "seiso-get",
        "display_name": "清掃 取得担当 (改)",
        "email": "",
        "department": user.department_id,
        "is_active": "on",
        "client_cert_fingerprint": "",
        "new_password1": STRONG,  # the old form's fields: ignored now
        "new_password2": STRONG,
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    # existing roles stay: the inline forms for them are posted unchanged
    roles = list(RoleAssignment.objects.filter(user=user).order_by("pk"))
    form["roles-TOTAL_FORMS"] = form["roles-INITIAL_FORMS"] = str(len(roles))
    for i, role in enumerate(roles):
        form.update({f"roles-{i}-id": role.pk, f"roles-{i}-user": user.pk, f"roles-{i}-business": role.business_id})
        form[f"roles-{i}-role"] = role.role
    response = admin.post(f"/manage/accounts/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()
    user.refresh_from_db()
    assert user.password == before and not user.check_password(STRONG)
    assert user.display_name == "清掃 取得担当 (改)"
    assert RoleAssignment.objects.filter(user=user).count() == len(roles)
    assert not entries("password_reset")
    assert entries("admin_change", actor="sysadmin")


def test_one_user_cannot_be_both_system_admin_and_auditor(ward) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from kokin.accounts.models import User

    user = User.objects.get(username="auditor")
    user.is_system_admin = True
    with pytest.raises(ValidationError, match="システム管理者と監査者"):
        user.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


def _session_writes(queries: list[dict[str, Any]]) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE") and "django_session" in q["sql"]
    ]


def test_pages_within_a_minute_do_not_rewrite_the_session(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as seen:
        for _ in range(3):
            assert client.get("/").status_code == 200
            assert client.get("/files/").status_code == 200
    assert _session_writes(seen.captured_queries) == []


def test_a_session_last_renewed_over_a_minute_ago_is_renewed_by_the_next_page(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    key = client.session.session_key
    session = client.session
    session[SESSION_RENEWED_AT] = int(time.time()) - 61
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=3))
    before = timezone.now()
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/").status_code == 200
    assert len(_session_writes(seen.captured_queries)) == 1
    expiry = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=14) < expiry - before <= timedelta(minutes=15, seconds=5)
