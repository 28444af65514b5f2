"""Fixtures for the hub's tests: the demo ward, logged-in operators, a live hub, an SMTP server.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL`` points to one.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from kokin.accounts.models import User
from kokin.demo import ward as demo
from support.live import LiveHub, free_port
from support.mail import Mailbox
from support.otp import current_code


@pytest.fixture
def ward(db: None) -> dict[str, demo.Login]:
    """The demo ward; returns the demo logins by username (initial passwords, TOTP secrets)."""
    return {login.username: login for login in demo.load()}


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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """On PostgreSQL, collect garbage before each test opens its transaction.

    A ``QuerySet.iterator`` left unfinished in a reference cycle by an earlier test holds a server-side
    cursor that died with that test's rollback; were the collector to close it inside this test's
    transaction, PostgreSQL's "cursor does not exist" would abort the transaction and fail a test that
    did nothing wrong. Collected here, the close happens outside any transaction and harms nothing."""
    if connection.vendor == "postgresql":
        gc.collect()
