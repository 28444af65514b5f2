"""Fixtures for the hub's tests: the demo ward, logged-in operators, TOTP codes.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL`` points to one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import User
from kokin.web import demo


@pytest.fixture
def ward(db: None) -> dict[str, demo.Login]:
    """The demo ward; returns the demo logins by username (initial passwords, TOTP secrets)."""
    return {login.username: login for login in demo.load()}


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


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
