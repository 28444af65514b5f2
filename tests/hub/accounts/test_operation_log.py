"""What accounts writes to the operation log on its own: logins, failed logins and lockouts, logouts,
account and role changes (:mod:`kokin.accounts.signals`), and the pages a logged-in user is shown
(:class:`kokin.accounts.middleware.PageViewLogMiddleware`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client, RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.actors import actor_of
from kokin.accounts.models import Business, Department, Role, RoleAssignment, User
from kokin.audit.actor import current_actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import check
from support.otp import current_code

LoginAs = Callable[..., Client]


def entries(action: str, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("seq"))


# --- logins ------------------------------------------------------------------------------------


def test_login_and_logout_are_recorded_with_the_client_address(login_as: LoginAs) -> None:
    client = login_as("zeimu-view")
    (login,) = entries("login", actor="zeimu-view")
    assert login.outcome == "success" and login.client_ip == "127.0.0.1"
    assert login.department == "税務課" and login.role == "操作担当者" and login.object == "user:zeimu-view"
    assert login.detail == {"step": "password"}
    client.post("/accounts/logout/")
    (logout,) = entries("logout", actor="zeimu-view")
    assert logout.seq > login.seq and logout.client_ip == "127.0.0.1"


def test_failed_login_records_the_name_tried(ward: Any) -> None:
    Client().post("/accounts/login/", {"username": "zeimu-view", "password": "wrong password"})
    Client().post("/accounts/login/", {"username": "no-such-user", "password": "whatever"})
    failed = entries("login_failed")
    assert [(e.actor, e.outcome) for e in failed] == [("zeimu-view", "failure"), ("no-such-user", "failure")]
    assert all(e.client_ip == "127.0.0.1" for e in failed)
    assert not any("whatever" in str(e.detail) or "wrong password" in str(e.detail) for e in failed)


def test_lockout_is_recorded_once_after_the_failure_that_caused_it(ward: Any, settings: Any) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT + 2):
        Client().post("/accounts/login/", {"username": "kaigo-send", "password": f"wrong-{attempt}"})
    failed = entries("login_failed", actor="kaigo-send")
    (lockout,) = entries("lockout", actor="kaigo-send")
    limit = settings.AXES_FAILURE_LIMIT
    assert len(failed) == limit + 2
    assert failed[limit - 1].seq < lockout.seq < failed[limit].seq
    assert lockout.outcome == "denied" and lockout.detail["failures"] == limit
    # later attempts are refused without looking at the password
    assert [e.outcome for e in failed] == ["failure"] * limit + ["denied"] * 2
    assert failed[-1].detail == {"reason": "locked_out"}


def test_wrong_second_factor_codes_lead_to_one_lockout_entry(ward: Any, settings: Any) -> None:
    client = Client()
    user = User.objects.get(username="zeimu-get")
    user.must_change_password = False
    user.save()
    assert client.post("/accounts/login/", {"username": "zeimu-get", "password": ward["zeimu-get"].password})
    device = TOTPDevice.objects.get(user=user)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        device.throttle_reset()
        client.post("/accounts/verify/", {"token": f"{(int(current_code(user)) + 500_000) % 1_000_000:06d}"})
    (lockout,) = entries("lockout", actor="zeimu-get")
    assert lockout.seq > entries("second_factor", actor="zeimu-get", outcome="failure")[-1].seq
    assert lockout.detail["failures"] == settings.AXES_FAILURE_LIMIT


# --- page views --------------------------------------------------------------------------------


def test_pages_shown_to_a_logged_in_user_are_recorded_as_views(login_as: LoginAs) -> None:
    client = login_as("zeimu-send")
    before = AuditEntry.objects.count()
    client.get("/?tab=1")
    client.get("/static/kokin/app.css")
    client.get("/accounts/login/")
    views = [e for e in AuditEntry.objects.filter(seq__gt=before) if e.action == "view"]
    assert [(v.object, v.outcome, v.actor, v.role) for v in views] == [
        ("/?tab=1", "success", "zeimu-send", "操作担当者")
    ]
    assert views[0].detail == {"status": 200}
    client.get("/audit/")
    denied = entries("view", object="/audit/")[-1]
    assert denied.outcome == "denied" and denied.detail == {"status": 403}


def test_a_page_about_a_business_is_recorded_in_the_roles_held_there(login_as: LoginAs) -> None:
    client = login_as("zeimu-send")
    assert client.get("/files/upload/zeimu-furikae/").status_code == 200
    (shown,) = entries("view", object="/files/upload/zeimu-furikae/")
    assert (shown.actor, shown.role, shown.department) == ("zeimu-send", "取得・送信", "税務課")


def test_a_refused_change_request_is_recorded(login_as: LoginAs) -> None:
    client = login_as("auditor")
    assert client.post("/audit/", {"actor": "x"}).status_code == 405
    (refused,) = entries("request", actor="auditor")
    assert refused.object == "/audit/" and refused.outcome == "error"
    assert refused.detail == {"status": 405, "method": "POST"}


def test_anonymous_requests_are_not_views(ward: Any) -> None:
    Client().get("/")
    Client().get("/accounts/login/")
    assert not entries("view")


# --- account and role changes ------------------------------------------------------------------


def test_account_and_role_changes_are_recorded_without_password_hashes(ward: Any) -> None:
    admin = User.objects.get(username="sysadmin")
    request = RequestFactory().get("/manage/accounts/user/", REMOTE_ADDR="10.1.2.3")
    token = current_actor.set(actor_of(request, admin))
    try:
        user = User.objects.create_user("new-operator", password="Initial-Passw0rd!", display_name="新 職員")
        user.department = Department.objects.get(code="zeimu")
        user.display_name = "新 職員 (税務)"
        user.save()
        user.set_password("Another-Passw0rd!")
        user.save()
        user.save(update_fields=["last_login"])  # every login writes it: not an account change
        business = Business.objects.get(code="zeimu-furikae")
        assignment = RoleAssignment.objects.create(user=user, business=business, role=Role.UPLOAD)
        assignment.delete()
        department = Department.objects.get(code="seiso")
        department.name = "清掃・リサイクル課"
        department.save()
    finally:
        current_actor.reset(token)
    changes = entries("account_change", object="user:new-operator")
    assert [c.detail["op"] for c in changes] == ["create", "update", "update"]
    assert all(c.actor == "sysadmin" and c.client_ip == "10.1.2.3" for c in changes)
    assert changes[0].detail["fields"]["username"] == "new-operator"
    assert changes[0].detail["fields"]["password"] == "(変更 / changed)"
    assert changes[1].detail["changes"] == {
        "department": [None, "zeimu"],
        "display_name": ["新 職員", "新 職員 (税務)"],
    }
    assert changes[2].detail["changes"] == {"password": "(変更 / changed)"}
    roles = entries("role_change", object="user:new-operator")
    assert [(r.detail["op"], r.detail["business"], r.detail["role"]) for r in roles] == [
        ("add", "zeimu-furikae", "upload"),
        ("remove", "zeimu-furikae", "upload"),
    ]
    renamed = entries("account_change", object="department:seiso")[-1]
    assert renamed.detail["changes"] == {"name": ["清掃リサイクル課", "清掃・リサイクル課"]}
    hashes = [user.password, *User.objects.values_list("password", flat=True)]
    text = " ".join(str(e.detail) for e in AuditEntry.objects.all())
    assert not any(h and h in text for h in hashes)
    assert check().ok


def test_changes_outside_a_request_name_the_command_user(db: None) -> None:
    Department.objects.create(code="kaikei", name="会計課")
    (created,) = entries("account_change", object="department:kaikei")
    assert created.actor.startswith("os:") and created.client_ip == ""
