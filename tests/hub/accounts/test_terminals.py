"""The equipment register as a login rule (``KOKIN_TERMINAL_REGISTER``): only registered, not retired
terminals, by address or client-certificate fingerprint; the reasons of every terminal refusal; the
register's validation; the system administrator's pages; the setting's check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import checks
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts import terminals
from kokin.accounts.models import Department, Terminal, User
from kokin.audit.models import AuditEntry
from kokin.demo import ward as demo
from kokin.web.env import Environment
from support.otp import current_code

PASSWORD = "Kokin-Strong-Pass-2025"
CERT = "3F" * 32


@pytest.fixture
def operator(ward: dict[str, demo.Login]) -> User:
    user = User.objects.create_user(
        username="madoguchi",
        password=PASSWORD,
        display_name="窓口 担当",
        department=Department.objects.get(code="zeimu"),
        must_change_password=False,
    )
    TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=True)
    return user


@pytest.fixture
def register_on(settings: Any) -> None:
    settings.TERMINAL_REGISTER = "on"


def terminal(**values: Any) -> Terminal:
    zeimu = Department.objects.get(code="zeimu")
    fields: dict[str, Any] = {"name": "窓口端末 9", "place": "本庁舎 2階", "department": zeimu}
    made = Terminal(**(fields | values))
    made.full_clean()
    made.save()
    return made


def login(client: Client, user: User) -> Any:
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})


def denials(user: User) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="terminal_denied", actor=user.username).order_by("seq"))


# --- the rule ------------------------------------------------------------------------------------


def test_with_the_register_on_an_unregistered_address_is_refused_and_logged(operator: User, register_on: None) -> None:
    terminal(address="10.99.2.11")
    client = Client(REMOTE_ADDR="10.99.9.9")
    response = login(client, operator)
    assert response.status_code == 403
    assert "この端末からは利用できません" in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    [entry] = denials(operator)
    assert entry.outcome == "denied" and entry.client_ip == "10.99.9.9"
    assert entry.detail == {"reason": "unregistered_terminal"}


def test_a_registered_address_or_range_logs_in_to_the_end(operator: User, register_on: None) -> None:
    terminal(address="10.99.2.32/28")
    client = Client(REMOTE_ADDR="10.99.2.40")
    assert login(client, operator)["Location"] == "/accounts/verify/"
    response = client.post("/accounts/verify/", {"token": current_code(operator)})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200  # the middleware lets every later request through too
    assert denials(operator) == []


def test_a_registered_certificate_fingerprint_is_enough_from_a_trusted_proxy(
    operator: User, register_on: None, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ["192.0.2.10"]
    terminal(cert_fingerprint=":".join(CERT[i : i + 2] for i in range(0, 64, 2)).lower())
    certified = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_CLIENT_CERT_FINGERPRINT=CERT, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert login(certified, operator).status_code == 302
    other = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_CLIENT_CERT_FINGERPRINT="AB" * 32, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert login(other, operator).status_code == 403
    untrusted = Client(REMOTE_ADDR="192.0.2.99", HTTP_X_CLIENT_CERT_FINGERPRINT=CERT)
    assert login(untrusted, operator).status_code == 403
    assert [e.detail["reason"] for e in denials(operator)] == ["unregistered_terminal"] * 2


def test_a_retired_terminal_no_longer_counts_and_ends_the_session(operator: User, register_on: None) -> None:
    registered = terminal(address="10.99.2.11")
    client = Client(REMOTE_ADDR="10.99.2.11")
    assert login(client, operator).status_code == 302
    client.post("/accounts/verify/", {"token": current_code(operator)})
    assert client.get("/").status_code == 200
    terminals.retire(registered)
    assert client.get("/").status_code == 403  # the session ends at the next request
    assert login(Client(REMOTE_ADDR="10.99.2.11"), operator).status_code == 403
    assert [e.detail["reason"] for e in denials(operator)] == ["unregistered_terminal"] * 2


def test_with_the_register_off_no_terminal_is_needed(operator: User) -> None:
    assert not terminals.enforced()
    assert login(Client(REMOTE_ADDR="172.16.0.5"), operator).status_code == 302


def test_the_department_and_bound_certificate_refusals_say_their_reason(operator: User) -> None:
    Department.objects.filter(code="zeimu").update(allowed_networks="10.1.0.0/16")
    assert login(Client(REMOTE_ADDR="172.16.0.5"), operator).status_code == 403
    Department.objects.filter(code="zeimu").update(allowed_networks="")
    operator.client_cert_fingerprint = CERT
    operator.save()
    assert login(Client(REMOTE_ADDR="172.16.0.5"), operator).status_code == 403
    assert [e.detail for e in denials(operator)] == [{"reason": "department_network"}, {"reason": "bound_certificate"}]


def test_a_terminal_is_matched_by_address_range_or_fingerprint_only() -> None:
    by_range = Terminal(address="10.1.2.0/24")
    by_cert = Terminal(cert_fingerprint=CERT)
    assert terminals.matches(by_range, "10.1.2.200", "") and not terminals.matches(by_range, "10.1.3.1", "")
    assert not terminals.matches(by_range, "not-an-address", CERT)
    assert terminals.matches(by_cert, "", CERT.lower()) and not terminals.matches(by_cert, "10.1.2.3", "")
    assert terminals.matches(Terminal(address="2001:db8::/32"), "2001:db8::5", "")


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "address", "IP アドレスかクライアント証明書の指紋の少なくとも一方を入力してください。"),
        ({"address": "10.1.2.300"}, "address", "「10.1.2.300」は IP アドレスでも IP アドレス範囲 (CIDR)"),
        ({"cert_fingerprint": "AB" * 31}, "cert_fingerprint", "は SHA-256 指紋ではありません (16 進数 64 桁"),
        ({"cert_fingerprint": "ZZ" * 32}, "cert_fingerprint", "は SHA-256 指紋ではありません"),
        ({"address": "10.1.2.3", "department": None}, "owner", "管理者 (氏名) か管理する課のどちらかを入力"),
        ({"address": "10.1.2.3", "name": ""}, "name", "このフィールドは空ではいけません。"),
    ],
)
def test_invalid_terminals_are_refused_naming_the_field(
    ward: Any, values: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        terminal(**values)
    assert any(message in m for m in raised.value.message_dict[field]), raised.value.message_dict


def test_a_retirement_before_the_registration_is_refused(ward: Any) -> None:
    made = terminal(address="10.1.2.3")
    made.retired_at = made.registered_at - timezone.timedelta(days=1)
    with pytest.raises(ValidationError) as raised:
        made.full_clean()
    assert raised.value.message_dict["retired_at"] == ["廃止日時が登録日時より前です。"]


def test_the_fingerprint_is_kept_in_the_form_it_is_compared(ward: Any) -> None:
    made = terminal(cert_fingerprint=":".join(CERT[i : i + 2] for i in range(0, 64, 2)).lower())
    made.refresh_from_db()
    assert made.cert_fingerprint == CERT and made.keeper == "税務課"


# --- the system administrator's pages -----------------------------------------------------------


def test_the_administrator_registers_and_retires_terminals_and_each_change_is_logged(login_as: Any) -> None:
    client = login_as("sysadmin")
    zeimu = Department.objects.get(code="zeimu")
    form = {
        "name": "窓口端末 7",
        "kind": "terminal",
        "place": "本庁舎 2階 税務課",
        "address": "10.99.2.17",
        "cert_fingerprint": "",
        "owner": "",
        "department": zeimu.pk,
        "registered_at_0": "2025-04-01",
        "registered_at_1": "09:00:00",
        "retired_at_0": "",
        "retired_at_1": "",
    }
    response = client.post("/manage/accounts/terminal/add/", form)
    assert response.status_code == 302, response.content.decode()
    made = Terminal.objects.get(name="窓口端末 7")
    refused = client.post("/manage/accounts/terminal/add/", form | {"name": "x", "address": "10.99.2"})
    assert "「10.99.2」は IP アドレスでも IP アドレス範囲 (CIDR) でもありません" in refused.content.decode()
    response = client.post(
        "/manage/accounts/terminal/",
        {"action": "retire", ACTION_CHECKBOX_NAME: [made.pk]},
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.retired_at is not None
    assert client.post(f"/manage/accounts/terminal/{made.pk}/delete/").status_code == 403  # retired, not deleted
    logged = AuditEntry.objects.filter(object__startswith=f"terminal:{made.pk}").order_by("seq")
    assert [(e.action, e.actor, e.detail["op"]) for e in logged] == [
        ("terminal_change", "sysadmin", "create"),
        ("terminal_change", "sysadmin", "update"),
    ]
    assert list(logged)[1].detail["changes"]["retired_at"][0] is None
    assert AuditEntry.objects.filter(action="admin_add", actor="sysadmin", object__contains="窓口端末 7").exists()


# --- the setting ---------------------------------------------------------------------------------


def test_an_unknown_value_of_the_setting_is_unreadable_and_stops_the_start() -> None:
    env = Environment({"KOKIN_TERMINAL_REGISTER": "yes"})
    assert env.choice("KOKIN_TERMINAL_REGISTER", "off", terminals.SETTING_VALUES) == "off"
    [unreadable] = env.unreadable
    assert (unreadable.variable, unreadable.reason_en) == ("KOKIN_TERMINAL_REGISTER", "not one of off, on")


def test_a_settings_value_other_than_off_or_on_is_a_check_error_and_still_enforces() -> None:
    with override_settings(TERMINAL_REGISTER="maybe"):
        found = [(i.id, i.msg) for i in checks.run_checks(tags=["kokin"])]
        assert terminals.enforced()  # fail closed until the check stops the start
    assert found == [
        (
            "kokin.E003",
            "KOKIN_TERMINAL_REGISTER=maybe: off か on です "
            "(on: 情報処理機器の台帳に登録された端末からだけログインできます)"
            " / must be off or on (on: logins only from a terminal in the equipment register)",
        )
    ]


def test_kokin_manage_check_refuses_a_bad_value(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_", "PYTEST_"))}
    environ.update({"KOKIN_HOME": str(tmp_path), "KOKIN_TERMINAL_REGISTER": "maybe"})
    kokin = str(Path(sys.executable).with_name("kokin"))
    result = subprocess.run(
        [kokin, "manage", "check"], capture_output=True, text=True, env=environ, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "kokin.E001" in result.stderr
    assert "KOKIN_TERMINAL_REGISTER=maybe: off, on のいずれでもありません" in result.stderr
