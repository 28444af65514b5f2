"""Operations on an operator's credentials: second factors, recovery codes, lockout, password.

Each operation takes who does it as an :class:`~kokin.audit.actor.Actor` and writes its
operation-log entry (:func:`kokin.audit.services.record`). Logins, logouts, failed passwords and
lockouts are logged from Django's and django-axes' signals (:mod:`kokin.accounts.signals`); what is
logged here is the second factor's success, factor changes, resets, unlocks and password changes.
What needs the HTTP request itself (django-axes' count, django-otp's login, the session key) is done
by the views through :mod:`kokin.accounts.login_flow`.

Lockout (django-axes, per ID): failed passwords are counted by axes itself. Failed second factors
and failed re-authentications are counted by handing them to axes' handler
(:func:`kokin.accounts.login_flow.count_failure`), so five wrong TOTP codes lock the ID exactly as
five wrong passwords do. The count is cleared only when the whole login (password and second factor)
succeeds (``AXES_RESET_ON_SUCCESS`` is off): otherwise a caller who knows the password could reset the
count after every four guesses of the second factor.
"""

from __future__ import annotations

import base64
import time
from importlib import import_module

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import User, WebAuthnDevice
from kokin.audit.actor import Actor
from kokin.audit.services import record

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "回復コード"
TOTP_DEVICE_NAME = "認証アプリ"
#: sensitive changes (factors) need the password entered within this many seconds
REAUTH_SECONDS = 300
SESSION_AUTH_AT = "kokin_auth_at"
#: when the session last passed a second factor (at login or asked again), seconds since the epoch
SESSION_FACTOR_AT = "kokin_factor_at"
#: a second factor asked again for one action, spent by that action (:func:`take_step_up`)
SESSION_STEP_UP_AT = "kokin_step_up_at"
#: how long a second factor asked again for one action stays good for that action
STEP_UP_SECONDS = 300


def is_verified(user: object) -> bool:
    """Whether the session passed its second factor (django-otp adds ``is_verified`` to the user)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def factor_of(device: Device) -> str:
    """The factor's name in the operation log: ``totp``, ``recovery`` or ``webauthn``."""
    if isinstance(device, TOTPDevice):
        return "totp"
    if isinstance(device, StaticDevice):
        return "recovery"
    if isinstance(device, WebAuthnDevice):
        return "webauthn"
    return type(device).__name__.lower()


def totp_secret(device: TOTPDevice) -> str:
    """The base32 secret an authenticator app takes (without padding)."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


# --- lockout -----------------------------------------------------------------------------------


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of ``usernames`` are locked now (for the administrator's list)."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=threshold)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
    )
    return {r["username"] for r in rows if r["failures"] >= settings.AXES_FAILURE_LIMIT}


@transaction.atomic
def unlock(*, actor: Actor, user: User) -> None:
    """Clear the ID's failed attempts and the second factors' back-off (system administrator)."""
    AxesProxyHandler.reset_attempts(username=user.username)
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.filter(user=user):
            device.throttle_reset()
    record(action="account_unlock", actor=actor, object=f"user:{user.username}")


# --- the second factor at login ----------------------------------------------------------------


def mark_authenticated_now(session: SessionBase) -> None:
    """The password was just entered: sensitive changes are allowed for :data:`REAUTH_SECONDS`."""
    session[SESSION_AUTH_AT] = int(time.time())


def recently_authenticated(session: SessionBase) -> bool:
    at = session.get(SESSION_AUTH_AT)
    return isinstance(at, int) and 0 <= time.time() - at <= REAUTH_SECONDS


def mark_factor_now(session: SessionBase, *, step_up: bool = False) -> None:
    """The session just passed a second factor; with ``step_up`` it was asked again for one action."""
    now = int(time.time())
    session[SESSION_FACTOR_AT] = now
    if step_up:
        session[SESSION_STEP_UP_AT] = now


def seconds_since_factor(session: SessionBase) -> float | None:
    """Seconds since the session last passed a second factor (None: not known, e.g. an older session)."""
    at = session.get(SESSION_FACTOR_AT)
    if not isinstance(at, int):
        return None
    return max(time.time() - at, 0.0)


def has_step_up(session: SessionBase) -> bool:
    """A second factor was asked again in the last :data:`STEP_UP_SECONDS` and not spent yet."""
    at = session.get(SESSION_STEP_UP_AT)
    return isinstance(at, int) and 0 <= time.time() - at <= STEP_UP_SECONDS


def take_step_up(session: SessionBase) -> bool:
    """Spend the second factor asked again (:func:`has_step_up`): one action per entry."""
    fresh = has_step_up(session)
    session.pop(SESSION_STEP_UP_AT, None)
    return fresh


def complete_login(*, actor: Actor, device: Device, session_key: str) -> None:
    """The second factor passed and the session, verified, got the new key ``session_key``
    (:func:`kokin.accounts.login_flow.finish_login`): it becomes the operator's only session (an
    older one is ended at its next request), and the failure count is cleared.
    """
    user: User = actor.user
    user.current_session_key = session_key
    user.save(update_fields=["current_session_key"])
    AxesProxyHandler.reset_attempts(username=user.username)
    record(
        action="second_factor",
        actor=actor,
        object=f"user:{user.username}",
        detail={"factor": factor_of(device), "device": device.name},
    )


def normalise_recovery_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def format_recovery_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}" if len(token) == 8 else token


# --- factor changes ----------------------------------------------------------------------------


def pending_totp(user: User, device_id: object = None) -> TOTPDevice:
    """The unconfirmed TOTP device being set up (reused while it is pending, so a reload keeps the
    secret the operator may already have scanned)."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first() if device_id else None
    if pending is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        pending = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return pending


@transaction.atomic
def confirm_totp(*, actor: Actor, device: TOTPDevice, first: bool) -> None:
    """Make ``device`` the operator's one authenticator app (replacing an older one)."""
    user: User = actor.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(
        action="factor_enrol" if first else "factor_totp_reset",
        actor=actor,
        object=f"user:{user.username}",
        detail={"factor": "totp", "device": device.name},
    )


@transaction.atomic
def new_recovery_codes(*, actor: Actor, user: User) -> list[str]:
    """Ten new one-time recovery codes (the old ones stop working); returned once, for display."""
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    device.throttle_reset(commit=False)
    device.confirmed = True
    device.save()
    tokens: set[str] = set()
    while len(tokens) < RECOVERY_CODE_COUNT:
        tokens.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=t) for t in sorted(tokens)])
    record(
        action="factor_recovery_codes",
        actor=actor,
        object=f"user:{user.username}",
        detail={"factor": "recovery", "count": RECOVERY_CODE_COUNT},
    )
    return [format_recovery_code(t) for t in sorted(tokens)]


def remaining_recovery_codes(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


@transaction.atomic
def remove_webauthn_device(*, actor: Actor, device: WebAuthnDevice) -> None:
    record(
        action="factor_remove",
        actor=actor,
        object=f"user:{device.user.username}",
        detail={"factor": "webauthn", "device": device.name},
    )
    device.delete()


def end_session(user: User) -> None:
    """End the operator's current session on the server (if any)."""
    if user.current_session_key:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        store(session_key=user.current_session_key).delete()
        user.current_session_key = ""
        user.save(update_fields=["current_session_key"])


@transaction.atomic
def reset_second_factors(*, actor: Actor, user: User) -> int:
    """Remove every second factor of ``user`` and end their session (system administrator).

    At the next login the operator enrols an authenticator app again (and gets new recovery codes).
    Returns how many factors were removed.
    """
    removed = 0
    for model in (TOTPDevice, StaticDevice, WebAuthnDevice):
        devices = model.objects.filter(user=user)
        removed += int(devices.count())
        devices.delete()
    end_session(user)
    record(action="factor_reset", actor=actor, object=f"user:{user.username}", detail={"removed": removed})
    return removed


def password_changed(*, actor: Actor, user: User) -> None:
    """The operator changed their own password (an administrator never sets one: an enrolment link,
    :mod:`kokin.accounts.enrolment`)."""
    record(action="password_change", actor=actor, object=f"user:{user.username}")
