"""The checks of the ``KOKIN_*`` settings (:mod:`kokin.web.checks`) and how the settings read them
(:mod:`kokin.web.env`): each wrong value gives its check id and a message that names the variable, and a
wrong value stops ``kokin hub serve`` before it migrates or serves."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from kokin.web.env import Environment, Unreadable

KOKIN = str(Path(sys.executable).with_name("kokin"))
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def kokin_issues(*, deploy: bool = False) -> list[tuple[str, str]]:
    found = checks.run_checks(tags=["kokin"], include_deployment_checks=deploy)
    return [(issue.id, issue.msg) for issue in found]


# --- reading the environment -------------------------------------------------------------------------


def test_unreadable_values_give_the_default_and_are_remembered_with_the_reason() -> None:
    env = Environment(
        {"KOKIN_IDLE_MINUTES": "15m", "KOKIN_SECURE": "flase", "KOKIN_SQLITE_TIMEOUT": "nan", "KOKIN_LOG_LEVEL": "loud"}
    )
    values = (
        env.integer("KOKIN_IDLE_MINUTES", 15),
        env.flag("KOKIN_SECURE", True),
        env.number("KOKIN_SQLITE_TIMEOUT", 5.0),
        env.choice("KOKIN_LOG_LEVEL", "WARNING", ("INFO", "WARNING")),
    )
    assert values == (15, True, 5.0, "WARNING")
    assert [(u.variable, u.value, u.reason_en) for u in env.unreadable] == [
        ("KOKIN_IDLE_MINUTES", "15m", "not an integer"),
        ("KOKIN_SECURE", "flase", "not 1 or 0 (true/false, yes/no, on/off)"),
        ("KOKIN_SQLITE_TIMEOUT", "nan", "not a number"),
        ("KOKIN_LOG_LEVEL", "loud", "not one of INFO, WARNING"),
    ]


def test_readable_values_and_empty_variables_count_as_unset() -> None:
    env = Environment(
        {"KOKIN_SECURE": "Off", "KOKIN_DEBUG": " ", "KOKIN_EMAIL_PORT": " 587 ", "KOKIN_LOG_LEVEL": "info"}
        | {"KOKIN_ALLOWED_HOSTS": " a.example.jp, ,b.example.jp,", "KOKIN_EMAIL_HOST": ""}
    )
    assert env.flag("KOKIN_SECURE", True) is False and env.flag("KOKIN_DEBUG", False) is False
    assert env.integer("KOKIN_EMAIL_PORT", 25) == 587
    assert env.choice("KOKIN_LOG_LEVEL", "WARNING", ("INFO", "WARNING")) == "INFO"
    assert env.names("KOKIN_ALLOWED_HOSTS", "localhost") == ["a.example.jp", "b.example.jp"]
    assert env.text("KOKIN_EMAIL_HOST", "localhost") == "localhost"
    assert env.unreadable == []


# --- one check at a time -----------------------------------------------------------------------------


def test_the_test_settings_pass_every_check_but_the_deployment_ones() -> None:
    assert kokin_issues() == []


CASES: list[tuple[dict[str, Any], str, str]] = [
    (
        {"ENV_UNREADABLE": [Unreadable("KOKIN_IDLE_MINUTES", "15m", "整数ではありません", "not an integer")]},
        "kokin.E001",
        "KOKIN_IDLE_MINUTES=15m: 整数ではありません (既定値に代えて起動はしません) / not an integer",
    ),
    ({"AXES_FAILURE_LIMIT": 0}, "kokin.E002", "KOKIN_LOCKOUT_LIMIT=0: 1 以上にしてください / must be at least 1"),
    ({"AXES_COOLOFF_TIME": timedelta(0)}, "kokin.E002", "KOKIN_LOCKOUT_MINUTES=0: "),
    ({"ADDRESS_COOLOFF": timedelta(seconds=30)}, "kokin.E002", "KOKIN_ADDRESS_MINUTES=0.5: "),
    ({"IDLE_MINUTES": -5}, "kokin.E002", "KOKIN_IDLE_MINUTES=-5: "),
    ({"ISSUE_LIMIT": 0}, "kokin.E002", "KOKIN_ISSUE_LIMIT=0: "),
    ({"AUDIT_CHECKPOINT_SECONDS": 0}, "kokin.E002", "KOKIN_AUDIT_CHECKPOINT_SECONDS=0: "),
    ({"EMAIL_PORT": 70000}, "kokin.E002", "KOKIN_EMAIL_PORT=70000: 1 から 65535 までです / must be from 1 to 65535"),
    ({"PASSWORD_RESET_TIMEOUT": 0}, "kokin.E002", "KOKIN_ENROLMENT_HOURS=0: "),
    ({"DISK_MARGIN_MB": -1}, "kokin.E002", "KOKIN_DISK_MARGIN_MB=-1: "),
    ({"VAULT_BLOB_STORE": "s3"}, "kokin.E003", "KOKIN_BLOB_STORE=s3: 保管先は local / database のいずれかです"),
    ({"VAULT_MASTER_KEY_PROVIDER": "myward.kms.provider"}, "kokin.E003", "KOKIN_MASTER_KEY_PROVIDER=myward.kms."),
    ({"EMAIL_BACKEND": "smtp"}, "kokin.E003", "KOKIN_EMAIL_BACKEND=smtp: メール送信の実装を読み込めません"),
    ({"AUDIT_CHECKPOINT_DIR": Path("audit")}, "kokin.E004", "KOKIN_AUDIT_CHECKPOINT_DIR=audit: 絶対パスで"),
    ({"ALLOWED_HOSTS": ["localhost", "https://hub.example.jp"]}, "kokin.E005", "'https://hub.example.jp' is neither"),
    ({"TRUSTED_PROXIES": ["10.0.0.0/8"]}, "kokin.E005", "KOKIN_TRUSTED_PROXIES=10.0.0.0/8: '10.0.0.0/8' は IP"),
    ({"AUDIT_CHECKPOINT_SYSLOG": "loghost:abc"}, "kokin.E006", "KOKIN_AUDIT_SYSLOG=loghost:abc: ソケットのパス"),
    ({"DEFAULT_FROM_EMAIL": "kokin"}, "kokin.E006", "KOKIN_EMAIL_FROM=kokin: メールアドレスではありません"),
    ({"EMAIL_HOST": "smtp://relay"}, "kokin.E006", "KOKIN_EMAIL_HOST=smtp://relay: ホスト名ではありません"),
    ({"CLAMD": "localhost:3310"}, "kokin.E006", "KOKIN_CLAMD=localhost:3310: unix:/ソケットのパス か tcp://"),
    ({"CLAMD": "unix:clamd.sock"}, "kokin.E006", "must be unix:/path/to/socket or tcp://host:port"),
    ({"CLAMD_TIMEOUT": 0.0}, "kokin.E002", "KOKIN_CLAMD_TIMEOUT=0: 1 以上"),
    ({"WEBAUTHN_ORIGIN": "https://localhost:8443/"}, "kokin.E006", "an origin has no path (not even a trailing /)"),
    ({"WEBAUTHN_ORIGIN": "http://hub.example.jp"}, "kokin.E006", "must be https://host[:port]"),
    (
        {"WEBAUTHN_RP_ID": "example.jp"},
        "kokin.E006",
        "KOKIN_WEBAUTHN_RP_ID=example.jp: https://localhost:8443 のホスト",
    ),
    ({"VAULT_MASTER_KEY_PROVIDER": "env"}, "kokin.E007", "KOKIN_MASTER_KEY_PROVIDER=env: KOKIN_MASTER_KEY が"),
]


@pytest.mark.parametrize(
    ("overrides", "check_id", "message"), CASES, ids=[c[1] + ":" + next(iter(c[0])) for c in CASES]
)
def test_a_wrong_value_gives_its_check_id_and_names_the_variable(
    overrides: dict[str, Any], check_id: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KOKIN_MASTER_KEY", raising=False)
    with override_settings(**overrides):
        issues = kokin_issues()
    assert len(issues) == 1, issues
    assert issues[0][0] == check_id
    assert message in issues[0][1]
    assert " / " in issues[0][1]  # Japanese / English


def test_a_checkpoint_folder_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with override_settings(AUDIT_CHECKPOINT_DIR=tmp_path / "file" / "audit"):
        assert kokin_issues() == [
            (
                "kokin.E004",
                f"KOKIN_AUDIT_CHECKPOINT_DIR={tmp_path}/file/audit: {tmp_path}/file はフォルダではありません"
                f" / {tmp_path}/file is not a folder",
            )
        ]


def test_an_unusable_master_key_is_named_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOKIN_MASTER_KEY", "c2VjcmV0LWJ1dC1ub3QtYS1rZXlzZXQ=")
    (issue,) = kokin_issues()
    assert issue[0] == "kokin.E007" and issue[1].startswith("KOKIN_MASTER_KEY: ")
    assert "c2VjcmV0" not in issue[1]


def test_good_values_pass(tmp_path: Path) -> None:
    good = {
        "ALLOWED_HOSTS": [".example.jp", "hub.example.jp", "127.0.0.1", "[::1]"],
        "TRUSTED_PROXIES": ["10.0.0.5", "::1"],
        "AUDIT_CHECKPOINT_DIR": tmp_path / "not" / "yet" / "made",
        "AUDIT_CHECKPOINT_SYSLOG": "loghost.example.jp:514",
        "DEFAULT_FROM_EMAIL": "kokin <kokin@example.jp>",
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "relay.example.jp",
        "EMAIL_PORT": 587,
        "WEBAUTHN_RP_ID": "example.jp",
        "WEBAUTHN_ORIGIN": "https://hub.example.jp",
        "VAULT_BLOB_STORE": "database",
        "CLAMD": "unix:/run/clamav/clamd.ctl",
        "VAULT_MASTER_KEY_PROVIDER": "file",
        "SECURE": True,
    }
    with override_settings(**good):
        assert kokin_issues(deploy=True) == []


# --- deployment warnings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "check_id", "message"),
    [
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "kokin.W001",
            "KOKIN_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend: メールは配信されません",
        ),
        ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "kokin.W001", "operators are lost"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": "/srv/mail"},
            "kokin.W001",
            "利用者に届かず、/srv/mail にファイルとして残ります",
        ),
        ({"SECURE": False}, "kokin.W002", "KOKIN_SECURE=0: Cookie とリダイレクトが平文 HTTP 向けです"),
        (
            {"WEBAUTHN_ORIGIN": "https://hub.example.jp", "WEBAUTHN_RP_ID": "hub.example.jp"},
            "kokin.W003",
            "KOKIN_WEBAUTHN_ORIGIN=https://hub.example.jp: このホストは KOKIN_ALLOWED_HOSTS にありません",
        ),
        ({"CLAMD": ""}, "kokin.W004", "ウイルス検査が無効です"),
    ],
)
def test_deployment_warnings_only_with_deploy(overrides: dict[str, Any], check_id: str, message: str) -> None:
    scanning = {"CLAMD": "tcp://127.0.0.1:3310"}
    with override_settings(**{"EMAIL_BACKEND": SMTP, "SECURE": True, **scanning, **overrides}):
        assert kokin_issues() == []
        ((found_id, found_message),) = kokin_issues(deploy=True)
    assert found_id == check_id and message in found_message


# --- at start ----------------------------------------------------------------------------------------


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_", "PYTEST_"))}
    environ.update({"KOKIN_HOME": str(tmp_path / "home"), "DJANGO_SETTINGS_MODULE": "kokin.web.settings", **env})
    return subprocess.run(
        [KOKIN, "hub", "serve", "--port", "1"], capture_output=True, text=True, env=environ, timeout=120, check=False
    )


def test_a_wrong_value_stops_the_hub_before_it_migrates_or_serves(tmp_path: Path) -> None:
    done = serve(tmp_path, KOKIN_LOCKOUT_LIMIT="five", KOKIN_EMAIL_PORT="0")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "(kokin.E001) KOKIN_LOCKOUT_LIMIT=five: 整数ではありません" in done.stderr
    assert "(kokin.E002) KOKIN_EMAIL_PORT=0: 1 から 65535 までです / must be from 1 to 65535" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home" / "kokin.sqlite3").exists()  # stopped before migrating


def test_an_unusable_data_folder_stops_the_hub_naming_kokin_home(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("a file, not a folder")
    done = serve(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("KOKIN_HOME: データフォルダ ")
    assert "/ cannot create, read or write the data folder" in done.stderr
    assert "Traceback" not in done.stderr
