"""What the system administrator cannot do alone (docs/security.md, 「システム管理者の権限とその限界」).

A hub-wide account (system administrator, auditor) never holds a business role (model, admin form,
database trigger, ``can()``); a role added on ``/manage/`` is a grant request a second person
decides; 送信 and 承認 never go together on one business; a reset issues a one-time enrolment link
and mails the operator and the auditors (through a real SMTP server).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client

from kokin.accounts import grants
from kokin.accounts.actors import user_actor
from kokin.accounts.models import Business, Department, Role, RoleAssignment, RoleGrantRequest, User
from kokin.accounts.permissions import Action, businesses_for, can
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.demo import ward as demo
from support.live import LiveHub
from support.mail import Mailbox, body_of
from support.otp import code_from_secret

LoginAs = Callable[..., Client]
Ward = dict[str, demo.Login]
STRONG = "Kokin-Strong-Pass-2025"
ROLE_FOR_FLAGGED = "システム管理者・監査者には業務の役割を付与できません"
DUTIES = "職務の分離"


def entries(action: str, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("seq"))


def business(code: str) -> Business:
    return Business.objects.get(code=code)


def user(username: str) -> User:
    return User.objects.get(username=username)


def as_actor(username: str) -> Actor:
    return user_actor(user(username))


def add_role_form(who: User, where: Business, role: str) -> dict[str, Any]:
    return {"user": who.pk, "business": where.pk, "role": role, "_save": "保存"}


def second_admin() -> User:
    return User.objects.create_user("sysadmin2", password=STRONG, is_system_admin=True, must_change_password=False)


# --- the attack, over a real HTTPS hub ----------------------------------------------------------


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _https_login(hub: LiveHub, username: str) -> httpx.Client:
    password, secret = hub.logins[username]
    hub.python(
        f"from kokin.accounts.models import User; User.objects.filter(username={username!r})"
        ".update(must_change_password=False)"
    )
    http = hub.client(headers={"Origin": hub.url})
    page = http.get("/accounts/login/")
    response = http.post(
        "/accounts/login/", data={"username": username, "password": password, "csrfmiddlewaretoken": _csrf(page)}
    )
    assert response.status_code == 302 and response.headers["location"] == "/accounts/verify/", response.text
    page = http.get("/accounts/verify/")
    token = code_from_secret(secret)
    response = http.post("/accounts/verify/", data={"token": token, "csrfmiddlewaretoken": _csrf(page)})
    assert response.status_code == 302 and response.headers["location"] == "/", response.text
    return http


def test_admin_cannot_grant_self_a_business_role_over_https(live_hub: LiveHub) -> None:
    ids = live_hub.python(
        "from kokin.accounts.models import Business, User\n"
        "from support.exchange import sample_file\n"
        "print('IDS', User.objects.get(username='sysadmin').pk, Business.objects.get(code='zeimu-shuno').pk,"
        " sample_file('zeimu-shuno'))"
    )
    admin_pk, business_pk, file_id = next(x for x in ids.splitlines() if x.startswith("IDS ")).split()[1:]
    http = _https_login(live_hub, "sysadmin")
    try:
        page = http.get("/manage/accounts/roleassignment/add/")
        assert page.status_code == 200
        form = {"user": admin_pk, "business": business_pk, "role": "download", "_save": "保存"}
        response = http.post("/manage/accounts/roleassignment/add/", data={**form, "csrfmiddlewaretoken": _csrf(page)})
        assert response.status_code == 200 and ROLE_FOR_FLAGGED in response.text
        # the same through the roles of the administrator's own account
        page = http.get(f"/manage/accounts/user/{admin_pk}/change/")
        assert page.status_code == 200
        own = {
            "username": "sysadmin",
            "display_name": "システム管理者",
            "email": "",
            "department": "",
            "is_active": "on",
            "is_system_admin": "on",
            "client_cert_fingerprint": "",
            "roles-TOTAL_FORMS": "1",
            "roles-INITIAL_FORMS": "0",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
            "roles-0-business": business_pk,
            "roles-0-role": "download",
            "_save": "保存",
            "csrfmiddlewaretoken": _csrf(page),
        }
        response = http.post(f"/manage/accounts/user/{admin_pk}/change/", data=own)
        assert response.status_code == 200 and ROLE_FOR_FLAGGED in response.text
        assert http.get(f"/files/{file_id}/download/").status_code == 403
        token = _csrf(page)
        download = http.post(f"/files/{file_id}/download/", data={"as": "original", "csrfmiddlewaretoken": token})
        assert download.status_code == 403
    finally:
        http.close()
    left = live_hub.python(
        "from kokin.accounts.models import RoleAssignment, RoleGrantRequest\n"
        "print('LEFT', RoleAssignment.objects.filter(user__username='sysadmin').count(),"
        " RoleGrantRequest.objects.filter(user__username='sysadmin').count())"
    )
    assert "LEFT 0 0" in left


# --- hub-wide accounts hold no role: model, database, can() --------------------------------------


def test_database_trigger_refuses_a_raw_role_row_for_a_system_administrator(ward: Ward) -> None:
    admin, shuno = user("sysadmin"), business("zeimu-shuno")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_roleassignment (user_id, business_id, role) VALUES (%s, %s, %s)",
            [admin.pk, shuno.pk, "download"],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        # moving an operator's row onto the auditor is refused as well
        row = RoleAssignment.objects.filter(user__username="zeimu-get").first()
        assert row is not None
        cursor.execute("UPDATE accounts_roleassignment SET user_id = %s WHERE id = %s", [user("auditor").pk, row.pk])
    assert not RoleAssignment.objects.filter(user__in=[admin, user("auditor")]).exists()


def test_database_trigger_refuses_upload_and_approve_on_one_business(ward: Ward) -> None:
    sender, furikae = user("zeimu-send"), business("zeimu-furikae")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_roleassignment (user_id, business_id, role) VALUES (%s, %s, %s)",
            [sender.pk, furikae.pk, "approve"],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        download = RoleAssignment.objects.get(user=sender, business=furikae, role=Role.DOWNLOAD)
        cursor.execute("UPDATE accounts_roleassignment SET role = 'approve' WHERE id = %s", [download.pk])
    # another business is fine: the rule is per business
    RoleAssignment.objects.filter(user=sender, business__code="zeimu-shuno").delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_roleassignment (user_id, business_id, role) VALUES (%s, %s, %s)",
            [sender.pk, business("zeimu-shuno").pk, "approve"],
        )


def test_database_trigger_refuses_the_flag_for_an_account_with_roles(ward: Ward) -> None:
    getter = user("zeimu-get")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET is_system_admin = %s WHERE id = %s", [True, getter.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=getter.pk).update(is_auditor=True)
    getter.refresh_from_db()
    assert not getter.is_system_admin and not getter.is_auditor


def test_database_refuses_a_grant_decided_by_its_requester_or_its_grantee(ward: Ward) -> None:
    grant = RoleGrantRequest.objects.create(
        user=user("zeimu-view"), business=business("zeimu-shuno"), role="download", requested_by=user("sysadmin")
    )
    for decider in ("sysadmin", "zeimu-view"):
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleGrantRequest.objects.filter(pk=grant.pk).update(decided_by=user(decider), state="approved")
    RoleGrantRequest.objects.filter(pk=grant.pk).update(decided_by=user("zeimu-manage"), state="refused")


def test_model_refuses_a_role_for_a_flagged_account_and_the_flag_for_one_with_roles(ward: Ward) -> None:
    with pytest.raises(ValidationError, match=ROLE_FOR_FLAGGED):
        RoleAssignment.objects.create(user=user("auditor"), business=business("zeimu-shuno"), role=Role.VIEW)
    with pytest.raises(ValidationError, match=DUTIES):
        RoleAssignment.objects.create(user=user("zeimu-approve"), business=business("zeimu-furikae"), role="upload")
    getter = user("zeimu-get")
    getter.is_system_admin = True
    with pytest.raises(ValidationError, match="役割を外してください"):
        getter.full_clean()
    with pytest.raises(ValidationError, match="役割を外してください"):
        getter.save()


def test_flagged_account_gets_no_business_action_even_if_a_row_slipped_in(ward: Ward) -> None:
    admin, shuno = user("sysadmin"), business("zeimu-shuno")
    with connection.cursor() as cursor:  # the triggers off, as someone with database access could
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers fire
        else:
            cursor.execute("DROP TRIGGER kokin_role_insert_checks")
        cursor.execute(
            "INSERT INTO accounts_roleassignment (user_id, business_id, role) VALUES (%s, %s, %s)",
            [admin.pk, shuno.pk, "download"],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    assert RoleAssignment.objects.filter(user=admin).exists()
    assert not can(admin, Action.DOWNLOAD_FILE, shuno) and not can(admin, Action.VIEW_FILES)
    assert not businesses_for(admin, Action.DOWNLOAD_FILE).exists()
    assert can(admin, Action.ADMIN_ACCOUNTS)


def test_admin_form_refuses_the_flag_for_an_operator_with_roles_in_japanese(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    getter = user("zeimu-get")
    form = {
        "username": getter.username,
        "display_name": getter.display_name,
        "email": "",
        "department": getter.department_id,
        "is_active": "on",
        "is_auditor": "on",
        "client_cert_fingerprint": "",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    response = admin.post(f"/manage/accounts/user/{getter.pk}/change/", form)
    assert response.status_code == 200 and "役割を外してください" in response.content.decode()
    getter.refresh_from_db()
    assert not getter.is_auditor


# --- no one grants access alone --------------------------------------------------------------------


def test_role_added_on_manage_is_a_request_until_the_business_manager_approves(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    viewer, shuno = user("zeimu-view"), business("zeimu-shuno")
    response = admin.post("/manage/accounts/roleassignment/add/", add_role_form(viewer, shuno, Role.DOWNLOAD))
    assert response.status_code == 302, response.content.decode()
    assert not RoleAssignment.objects.filter(user=viewer, business=shuno, role=Role.DOWNLOAD).exists()
    [grant] = RoleGrantRequest.objects.filter(user=viewer)
    assert grant.state == RoleGrantRequest.State.PENDING and grant.requested_by == user("sysadmin")
    [asked] = entries("role_grant_request", actor="sysadmin")
    assert asked.object == "user:zeimu-view" and asked.detail["role"] == "download"
    assert asked.role == "システム管理者" and asked.client_ip == "127.0.0.1"
    assert not can(viewer, Action.DOWNLOAD_FILE, shuno)

    manager = login_as("zeimu-manage")
    assert "役割付与の申請" in manager.get("/").content.decode()
    page = manager.get("/accounts/grants/").content.decode()
    assert "税務 閲覧担当" in page and "取得" in page
    response = manager.post(f"/accounts/grants/{grant.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "承認しました" in response.content.decode()
    grant.refresh_from_db()
    assert grant.state == RoleGrantRequest.State.APPROVED and grant.decided_by == user("zeimu-manage")
    assert can(viewer, Action.DOWNLOAD_FILE, shuno)
    [decided] = entries("role_grant_decide", actor="zeimu-manage")
    assert decided.outcome == "success" and decided.detail["decision"] == "approve"
    assert decided.detail["requested_by"] == "sysadmin"
    assert (decided.role, decided.department) == ("業務管理", "税務課")  # the manager's role on the business


def test_nobody_approves_a_grant_they_requested_or_one_to_themselves(login_as: LoginAs) -> None:
    shuno = business("zeimu-shuno")
    mine = grants.request_grant(actor=as_actor("sysadmin"), user=user("zeimu-view"), business=shuno, role="upload")
    to_manager = grants.request_grant(
        actor=as_actor("sysadmin"), user=user("zeimu-manage"), business=shuno, role="view"
    )
    admin = login_as("sysadmin")
    page = admin.get("/accounts/grants/").content.decode()
    assert "決定を待っている申請はありません" in page and "自分が申請した役割" in page
    response = admin.post(f"/accounts/grants/{mine.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403 and "自分が申請した" in response.content.decode()
    manager = login_as("zeimu-manage")
    response = manager.post(f"/accounts/grants/{to_manager.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403 and "自分への役割の付与" in response.content.decode()
    for grant in (mine, to_manager):
        grant.refresh_from_db()
        assert grant.state == RoleGrantRequest.State.PENDING
    assert not RoleAssignment.objects.filter(user=user("zeimu-manage"), role=Role.VIEW).exists()
    assert [e.outcome for e in entries("role_grant_decide")] == ["denied", "denied"]
    # an operator with no 業務管理 role may not decide at all; a second administrator may
    assert login_as("zeimu-get").get("/accounts/grants/").status_code == 403
    second_admin()
    grants.decide(actor=as_actor("sysadmin2"), grant_id=to_manager.pk, approve=True)
    assert RoleAssignment.objects.filter(user=user("zeimu-manage"), business=shuno, role=Role.VIEW).exists()
    with pytest.raises(PermissionDenied):  # 業務管理 of another business cannot decide this one
        grants.decide(actor=as_actor("kokuho-approve"), grant_id=mine.pk, approve=False)


def test_a_refused_request_grants_nothing_and_is_logged(login_as: LoginAs) -> None:
    grant = grants.request_grant(
        actor=as_actor("sysadmin"), user=user("zeimu-view"), business=business("zeimu-furikae"), role="download"
    )
    response = login_as("zeimu-manage").post(f"/accounts/grants/{grant.pk}/decide/", {"decision": "refuse"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == RoleGrantRequest.State.REFUSED
    assert not RoleAssignment.objects.filter(user=user("zeimu-view"), role=Role.DOWNLOAD).exists()
    assert entries("role_grant_decide", actor="zeimu-manage")[0].detail["decision"] == "refuse"
    with pytest.raises(ValidationError, match="決定済み"):
        grants.decide(actor=as_actor("zeimu-manage"), grant_id=grant.pk, approve=True)


def test_role_added_in_the_users_inline_is_a_request_and_held_roles_cannot_be_changed(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    viewer = user("zeimu-view")
    held = list(RoleAssignment.objects.filter(user=viewer).order_by("pk"))
    form: dict[str, Any] = {
        "username": viewer.username,
        "display_name": viewer.display_name,
        "email": "",
        "department": viewer.department_id,
        "is_active": "on",
        "client_cert_fingerprint": "",
        "roles-TOTAL_FORMS": str(len(held) + 1),
        "roles-INITIAL_FORMS": str(len(held)),
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    for i, role in enumerate(held):  # try to widen a held 閲覧 to 承認 in place
        form.update({f"roles-{i}-id": role.pk, f"roles-{i}-user": viewer.pk})
        form.update({f"roles-{i}-business": role.business_id, f"roles-{i}-role": Role.APPROVE})
    n = len(held)
    form.update({f"roles-{n}-user": viewer.pk, f"roles-{n}-business": business("zeimu-shuno").pk})
    form[f"roles-{n}-role"] = Role.DOWNLOAD
    response = admin.post(f"/manage/accounts/user/{viewer.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()
    assert sorted(RoleAssignment.objects.filter(user=viewer).values_list("role", flat=True)) == ["view", "view"]
    [grant] = RoleGrantRequest.objects.filter(user=viewer)
    assert (grant.business.code, grant.role, grant.state) == ("zeimu-shuno", "download", "pending")


def test_removing_a_role_takes_effect_at_once_and_is_logged(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    role = RoleAssignment.objects.get(user__username="zeimu-approve", business__code="zeimu-furikae")
    response = admin.post(f"/manage/accounts/roleassignment/{role.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=role.pk).exists()
    removed = entries("role_change", object="user:zeimu-approve")[-1]
    assert removed.detail["op"] == "remove" and removed.actor == "sysadmin"


def test_upload_and_approve_on_one_business_are_refused_at_request_and_at_approval(login_as: LoginAs) -> None:
    admin = login_as("sysadmin")
    sender, furikae = user("zeimu-send"), business("zeimu-furikae")
    response = admin.post("/manage/accounts/roleassignment/add/", add_role_form(sender, furikae, Role.APPROVE))
    assert response.status_code == 200 and DUTIES in response.content.decode()
    newcomer = User.objects.create_user("tanaka", password=STRONG, department=Department.objects.get(code="zeimu"))
    upload = grants.request_grant(actor=as_actor("sysadmin"), user=newcomer, business=furikae, role="upload")
    with pytest.raises(ValidationError, match=DUTIES):  # a pending 送信 counts at the request
        grants.request_grant(actor=as_actor("sysadmin"), user=newcomer, business=furikae, role="approve")
    # two requests that got past the request check (a race): the second approval is refused
    approve = RoleGrantRequest.objects.create(
        user=newcomer, business=furikae, role="approve", requested_by=user("sysadmin")
    )
    manager = login_as("zeimu-manage")
    assert manager.post(f"/accounts/grants/{upload.pk}/decide/", {"decision": "approve"}).status_code == 302
    response = manager.post(f"/accounts/grants/{approve.pk}/decide/", {"decision": "approve"}, follow=True)
    assert DUTIES in response.content.decode()
    approve.refresh_from_db()
    assert approve.state == RoleGrantRequest.State.PENDING
    assert list(RoleAssignment.objects.filter(user=newcomer).values_list("role", flat=True)) == ["upload"]
    assert entries("role_grant_decide", actor="zeimu-manage")[-1].outcome == "denied"


# --- resets: a one-time enrolment link, mailed; the administrator learns no password ---------------


def _enrolment_link(text: str) -> str:
    """The path of the enrolment link in a mail or a page."""
    found = re.search(r"https?://[^\s\"<]+/accounts/enrolment/[^\s\"<]+/", text)
    assert found, text
    return urlsplit(found.group(0)).path


def test_reset_link_is_mailed_to_the_operator_and_works_once(
    login_as: LoginAs, ward: Ward, smtp_server: Mailbox
) -> None:
    operator = user("zeimu-get")
    operator.email = "zeimu-get@city.example.jp"
    operator.save()
    User.objects.filter(username="auditor").update(email="audit@city.example.jp")
    admin = login_as("sysadmin")
    response = admin.post(
        "/manage/accounts/user/", {"action": "reset_factors", ACTION_CHECKBOX_NAME: [operator.pk]}, follow=True
    )
    page = response.content.decode()
    assert "本人のメールアドレスに送りました" in page and "/accounts/enrolment/" not in page

    [to_operator] = smtp_server.to("zeimu-get@city.example.jp")
    [to_auditor] = smtp_server.to("audit@city.example.jp")
    assert "リセット" in to_operator["Subject"] and "sysadmin" in body_of(to_operator)
    assert "/accounts/enrolment/" not in body_of(to_auditor) and "zeimu-get" in body_of(to_auditor)
    assert "zeimu-get@city.example.jp" in body_of(to_auditor)  # where the link went, to spot a changed address
    link = _enrolment_link(body_of(to_operator))
    [issued] = entries("enrolment_link_issue", actor="sysadmin")
    assert issued.detail["notified"] == ["zeimu-get@city.example.jp", "audit@city.example.jp"]

    # the administrator cannot log in as the operator: the old password is gone, no new one is known
    for guess in (ward["zeimu-get"].password, ward["sysadmin"].password, ""):
        response = Client().post("/accounts/login/", {"username": "zeimu-get", "password": guess})
        assert response.status_code == 200

    # the operator sets their own password through the link, then enrols an authenticator app
    client = Client()
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].endswith("/set-password/")
    form = client.get(response["Location"])
    assert "パスワードの設定" in form.content.decode()
    response = client.post(response["Location"], {"new_password1": STRONG, "new_password2": STRONG})
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"
    assert client.get("/accounts/verify/")["Location"] == "/accounts/enrol/"
    operator.refresh_from_db()
    assert operator.check_password(STRONG)
    assert entries("enrolment_link_use", actor="zeimu-get")[0].outcome == "success"

    # a second use of the same link fails, and is logged
    again = Client().get(link)
    assert again.status_code == 410 and "使用済みか、有効期限が切れています" in again.content.decode()
    assert entries("enrolment_link_use")[-1].outcome == "failure"


def test_reset_without_an_address_shows_the_link_to_the_administrator_and_tells_the_auditor(
    login_as: LoginAs, smtp_server: Mailbox
) -> None:
    User.objects.filter(username="auditor").update(email="audit@city.example.jp")
    operator = user("zeimu-view")
    response = login_as("sysadmin").post(
        "/manage/accounts/user/", {"action": "reset_factors", ACTION_CHECKBOX_NAME: [operator.pk]}, follow=True
    )
    assert "別の経路で本人に渡してください" in response.content.decode()
    link = _enrolment_link(response.content.decode())
    [notice] = smtp_server.messages
    assert notice["X-Envelope-To"] == "audit@city.example.jp" and "システム管理者に表示" in body_of(notice)
    assert Client().get(link).status_code == 302


def test_enrolment_link_expires(login_as: LoginAs, settings: Any) -> None:
    operator = user("zeimu-view")
    response = login_as("sysadmin").post(
        "/manage/accounts/user/", {"action": "reset_factors", ACTION_CHECKBOX_NAME: [operator.pk]}, follow=True
    )
    link = _enrolment_link(response.content.decode())
    settings.PASSWORD_RESET_TIMEOUT = -1  # any age is past it
    assert Client().get(link).status_code == 410
    settings.PASSWORD_RESET_TIMEOUT = 3600
    User.objects.filter(pk=operator.pk).update(is_active=False)  # nor for a disabled account
    assert Client().get(link).status_code == 410
    User.objects.filter(pk=operator.pk).update(is_active=True)
    assert Client().get(link).status_code == 302


def test_a_new_account_gets_its_enrolment_link_by_mail(login_as: LoginAs, smtp_server: Mailbox) -> None:
    form = {
        "username": "suzuki",
        "display_name": "鈴木 花子",
        "email": "suzuki@city.example.jp",
        "department": Department.objects.get(code="kaigo").pk,
        "is_active": "on",
        "client_cert_fingerprint": "",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-business": business("kaigo-shuno").pk,
        "roles-0-role": Role.DOWNLOAD,
        "_save": "保存",
    }
    response = login_as("sysadmin").post("/manage/accounts/user/add/", form, follow=True)
    assert "本人のメールアドレスに送りました" in response.content.decode()
    created = user("suzuki")
    assert not created.has_usable_password() and not RoleAssignment.objects.filter(user=created).exists()
    assert RoleGrantRequest.objects.get(user=created).role == Role.DOWNLOAD
    [mail] = smtp_server.to("suzuki@city.example.jp")
    client = Client()
    response = client.get(_enrolment_link(body_of(mail)))
    response = client.post(response["Location"], {"new_password1": STRONG, "new_password2": STRONG})
    assert response["Location"] == "/accounts/verify/"
    assert client.get("/accounts/verify/")["Location"] == "/accounts/enrol/"
