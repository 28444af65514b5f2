"""Per-request rules for operators (one session, allowed terminal, second factor, new password), who
the request is for the operation log, and the log of the pages shown.

In ``MIDDLEWARE`` the three come in this order, after the authentication and django-otp middleware:
:class:`OperatorMiddleware` turns a request away (to the login or the second factor) before it is an
actor's or a page view; :class:`ActorMiddleware` makes the request's actor known to the entries
written while it is served; :class:`PageViewLogMiddleware` logs what was shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kokin.accounts import services
from kokin.accounts.actors import actor_of, role_on
from kokin.accounts.network import terminal_refusal
from kokin.audit.actor import current_actor
from kokin.audit.services import record

Handler = Callable[[HttpRequest], HttpResponse]

# paths an operator may reach before the second factor (and the password change) is done
OPEN_PREFIXES = ("/static/", "/accounts/", "/api/", "/favicon.ico")


class OperatorMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(("/static/", "/api/")):
            verified = services.is_verified(user)
            current = getattr(user, "current_session_key", "")
            # a session becomes the operator's one session when its second factor passes; an older
            # verified session ends here (a password alone cannot end the operator's session)
            if verified and current and request.session.session_key != current:
                record(action="session_superseded", actor=actor_of(request), object=f"user:{user.get_username()}")
                logout(request)
                # this middleware runs before the messages middleware, so the login page says why
                return redirect(reverse("accounts:login") + "?reason=superseded")
            refusal = terminal_refusal(user, request)
            if refusal is not None:
                record(
                    action="terminal_denied",
                    actor=actor_of(request),
                    object=f"user:{user.get_username()}",
                    outcome="denied",
                    detail={"reason": refusal},
                )
                logout(request)
                return render(request, "kokin/terminal_denied.html", status=403)
            if not request.path.startswith(OPEN_PREFIXES):
                if not verified:
                    return redirect("accounts:verify")
                if getattr(user, "must_change_password", False):
                    return redirect("accounts:password_change")
        return self.get_response(request)


class ActorMiddleware:
    """Sets :data:`kokin.audit.actor.current_actor` while the request is served: the entries written
    on model signals (:mod:`kokin.accounts.signals`) and by the auditor's page take their actor from
    it. The API authenticates its token in the view, so an API call's actor here is its address
    alone; its endpoints pass their own actor."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_actor.set(actor_of(request))
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)


#: never page views: static files, and the API, whose endpoints log each call with what it showed
#: (action ``api_view``)
SKIP_PREFIXES = ("/static/", "/favicon.ico", "/api/")
#: the login flow, logged through the authentication signals instead
SKIP_VIEWS = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:verify",
        "accounts:locked",
        "accounts:webauthn_authenticate_begin",
        "accounts:webauthn_authenticate_complete",
    }
)


def outcome_of(status: int) -> str:
    if status < 400:
        return "success"
    if status in (401, 403):
        return "denied"
    return "error"


class PageViewLogMiddleware:
    """Logs every page a logged-in user is shown (action ``view``), in the user's roles on the business
    the page is about (its ``business`` URL parameter), else their hub-wide role.

    Not logged here: static files; the login flow itself (logged as login, login_failed, lockout,
    second_factor, logout); the API; and requests whose view wrote its own entry
    (:func:`kokin.audit.services.mark_recorded`). A request other than GET or HEAD changes something
    and is logged by the operation it performs; here only if it was refused or failed (action
    ``request``).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.should_log(request, response):
            status = response.status_code
            reading = request.method in ("GET", "HEAD")
            detail: dict[str, Any] = {"status": status}
            if not reading:
                detail["method"] = request.method
            match = request.resolver_match
            business = match.kwargs.get("business") if match is not None else None
            actor = actor_of(request)
            record(
                action="view" if reading else "request",
                actor=actor,
                role=role_on(actor, business if isinstance(business, str) else None),
                object=request.get_full_path(),
                outcome=outcome_of(status),
                detail=detail,
            )
        return response

    @staticmethod
    def should_log(request: HttpRequest, response: HttpResponse) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "kokin_audit_recorded", False):
            return False
        if request.path.startswith(SKIP_PREFIXES):
            return False
        match = request.resolver_match
        if match is not None and match.view_name in SKIP_VIEWS:
            return False
        return request.method in ("GET", "HEAD") or response.status_code >= 400
