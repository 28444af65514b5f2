"""Fixtures for the hub's tests: the demo ward, logged-in operators, TOTP codes.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL`` points to one.
"""

from __future__ import annotations

import base64
import email
import email.policy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import User
from kokin.demo import ward as demo

from .live import LiveHub, free_port


@pytest.fixture
def ward(db: None) -> dict[str, demo.Login]:
    """The demo ward; returns the demo logins by username (initial passwords, TOTP secrets)."""
    return {login.username: login for login in demo.load()}


def current_code(user: User) -> str:
    """A code the user's authenticator app would show now that the device has not accepted yet.

    django-otp refuses a code for a time step it has already accepted (replay), so a second login
    in the same 30 seconds takes the next step's code, which the device's tolerance (±1) allows.
    """
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    counter = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = counter.t()
    step = max(now, device.last_t + 1)
    assert step <= now + device.tolerance, "more logins in one time step than the TOTP tolerance allows"
    counter.drift += step - now
    return f"{counter.token():06d}"


def code_from_secret(secret: str) -> str:
    """The current code for a base32 secret as an authenticator app shows it (spaces allowed)."""
    compact = "".join(secret.split()).upper()
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return f"{TOTP(key).token():06d}"


@pytest.fixture
def login_as(ward: dict[str, demo.Login]) -> Callable[..., Client]:
    """A client logged in as a demo user with password and TOTP (password change done)."""

    def make(username: str, client: Client | None = None) -> Client:
        client = client or Client()
        user = User.objects.get(username=username)
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
        response = client.post("/accounts/login/", {"username": username, "password": ward[username].password})
        assert response.status_code == 302, response.content.decode()
        response = client.post("/accounts/verify/", {"token": current_code(user)})
        assert response.status_code == 302, response.content.decode()
        return client

    return make


@pytest.fixture(scope="session")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    """A real hub (``kokin hub serve``: gunicorn, HTTPS, its own CA) with the demo ward, shared by the
    tests of one worker; tests that stop or kill it make their own :class:`LiveHub` instead."""
    hub = LiveHub(tmp_path_factory.mktemp("live-hub"))
    try:
        yield hub.start()
    finally:
        hub.close()


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd) received: one parsed message per delivery."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server on a free local port, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def audit_checkpoints(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each test its own checkpoint file and key: the database is emptied between tests, and a checkpoint
    left by another test would read as entries deleted."""
    folder = tmp_path_factory.mktemp("audit-checkpoints")
    settings.AUDIT_CHECKPOINT_DIR = folder
    return folder
