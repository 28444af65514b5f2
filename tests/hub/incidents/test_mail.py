"""The mail of a new incident, through a real SMTP server (aiosmtpd): who receives it, what it says, a
failure kept on the incident and shown, and ``kokin incidents mail --retry``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client

from kokin.accounts.models import User
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.cli import main
from kokin.incidents.models import Incident, MailStatus
from kokin.incidents.services import raise_incident
from support.live import free_port
from support.mail import Mailbox, body_of


@pytest.fixture
def addresses(ward: Any) -> None:
    for username, address in [
        ("sysadmin", "admin@ward.example.jp"),
        ("auditor", "audit@ward.example.jp"),
        ("zeimu-manage", "zeimu@ward.example.jp"),
    ]:
        User.objects.filter(username=username).update(email=address)
    User.objects.create(username="former-admin", is_system_admin=True, is_active=False, email="gone@ward.example.jp")


def _open(capture: Callable[..., Any], subject: str = "address:192.0.2.7") -> Incident:
    with capture(execute=True):
        incident = raise_incident(
            rule="login_defender",
            severity="high",
            subject=subject,
            title=f"ログイン失敗の多発: 接続元 {subject}",
            summary="30 分間に 15 点に達しました。",
            actor=Actor.system(),
        )
    incident.refresh_from_db()
    return incident


def test_a_new_incident_is_mailed_to_every_active_administrator_and_auditor(
    addresses: None, smtp_server: Mailbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    incident = _open(django_capture_on_commit_callbacks)
    [message] = smtp_server.messages
    assert sorted(message["X-Envelope-To"].split(", ")) == ["admin@ward.example.jp", "audit@ward.example.jp"]
    assert message["Subject"].strip() == f"[kokin] インシデント {incident.number} (高): {incident.title}"
    body = body_of(message)
    for text in (
        "第15条",
        "検知ルール: ログイン失敗の多発",
        "30 分間に 15 点",
        "令和",
        f"/incidents/{incident.number}/",
    ):
        assert text in body
    assert (incident.mail_status, incident.mail_attempts, incident.mail_error) == (MailStatus.SENT, 1, "")
    sent = AuditEntry.objects.get(action="incident_mail", object=f"incident:{incident.number}")
    assert (sent.actor, sent.outcome, sent.detail["recipients"]) == ("system", "success", 2)


def test_a_mail_failure_keeps_the_incident_shows_the_error_and_is_retried(
    addresses: None,
    smtp_server: Mailbox,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
    login_as: Callable[..., Client],
) -> None:
    working = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    incident = _open(django_capture_on_commit_callbacks)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert incident.mail_status == MailStatus.FAILED and incident.mail_attempts == 1
    assert "ConnectionRefusedError" in incident.mail_error
    assert AuditEntry.objects.get(action="incident_mail").outcome == "failure"
    client = login_as("sysadmin")
    assert "送信失敗" in client.get("/incidents/").content.decode()
    page = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "ConnectionRefusedError" in page and "kokin incidents mail --retry" in page

    listed = CliRunner().invoke(main, ["incidents", "mail"])
    assert listed.exit_code == 1 and f"{incident.number}\t送信失敗\t1" in listed.output
    still = CliRunner().invoke(main, ["incidents", "mail", "--retry"])
    assert still.exit_code == 1 and "未送信 1 件" in still.output
    settings.EMAIL_PORT = working
    retried = CliRunner().invoke(main, ["incidents", "mail", "--retry"])
    assert retried.exit_code == 0, retried.output
    assert "送信 1 件、未送信 0 件" in retried.output
    assert len(smtp_server.messages) == 1
    incident.refresh_from_db()
    assert (incident.mail_status, incident.mail_attempts, incident.mail_error) == (MailStatus.SENT, 3, "")
    logged = AuditEntry.objects.filter(action="incident_mail").order_by("seq")
    assert [(e.actor.startswith("os:"), e.outcome) for e in logged] == [
        (False, "failure"),
        (True, "failure"),
        (True, "success"),
    ]
    assert CliRunner().invoke(main, ["incidents", "mail"]).exit_code == 0


def test_with_no_address_to_send_to_the_incident_says_so(
    ward: Any, smtp_server: Mailbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    incident = _open(django_capture_on_commit_callbacks)
    assert incident.mail_status == MailStatus.NOBODY and smtp_server.messages == []
    User.objects.filter(username="auditor").update(email="audit@ward.example.jp")
    assert CliRunner().invoke(main, ["incidents", "mail", "--retry"]).exit_code == 0
    assert smtp_server.to("audit@ward.example.jp")


def test_a_repeat_of_an_open_incident_sends_no_new_mail(
    addresses: None, smtp_server: Mailbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = _open(django_capture_on_commit_callbacks)
    again = _open(django_capture_on_commit_callbacks)
    assert again.pk == first.pk and again.occurrences == 2
    assert len(smtp_server.messages) == 1
