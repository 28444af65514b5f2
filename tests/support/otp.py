"""TOTP codes as a demo operator's authenticator app would show them, for logging in from a test."""

from __future__ import annotations

import base64

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import User


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


def code_from_secret(secret: str, *, ahead: int = 0) -> str:
    """The current code for a base32 secret as an authenticator app shows it (spaces allowed); with
    ``ahead`` that of a later time step (a second code within one step, which the device's tolerance
    of one step allows, since it refuses a step's code twice)."""
    compact = "".join(secret.split()).upper()
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return f"{TOTP(key, drift=ahead).token():06d}"
