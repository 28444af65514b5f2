"""The login's steps that act on the HTTP request, for the login views and the WebAuthn endpoints.

django-axes checks and counts failures from the request (its handler reads the address and the
credentials there), and django-otp marks the request's session verified; so these stay with the
views. What they log is written by the request's actor (:func:`kokin.accounts.actors.actor_of`), and
the rest of the work is done by :mod:`kokin.accounts.services`, which never sees the request.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import logout
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.models import Device

from kokin.accounts import services
from kokin.accounts.actors import actor_of
from kokin.audit.services import record


def is_locked(request: HttpRequest, username: str) -> bool:
    return bool(AxesProxyHandler.is_locked(request, {"username": username}))


def count_failure(request: HttpRequest, *, action: str, detail: dict[str, Any]) -> bool:
    """Log a failed second factor or re-authentication of the request's operator and count it toward
    the ID's lockout.

    Returns whether the ID is now locked; if so the session is ended (django-axes' middleware then
    answers with the lockout page, and axes' ``user_locked_out`` signal logs the lockout).
    """
    actor = actor_of(request)
    record(action=action, actor=actor, object=f"user:{actor.name}", outcome="failure", detail=detail)
    AxesProxyHandler.user_login_failed(__name__, {"username": actor.name}, request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
        return True
    return False


def finish_step_up(request: HttpRequest, device: Device) -> None:
    """The already verified operator passed a second factor again, asked for by one action (a large or
    late approval): the session notes it, and the operation log says which factor."""
    services.mark_factor_now(request.session, step_up=True)
    actor = actor_of(request)
    record(
        action="step_up",
        actor=actor,
        object=f"user:{actor.name}",
        detail={"factor": services.factor_of(device), "device": device.name},
    )


def finish_login(request: HttpRequest, device: Device) -> None:
    """The second factor passed on ``device``: the session becomes verified under a new key, and
    :func:`kokin.accounts.services.complete_login` makes it the operator's only session."""
    actor = actor_of(request)
    otp_login(request, device)
    request.session.cycle_key()  # a new privilege level gets a new session key
    services.mark_factor_now(request.session)
    services.complete_login(actor=actor, device=device, session_key=request.session.session_key or "")
