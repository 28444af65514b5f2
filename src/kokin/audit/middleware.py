"""Logs every page a logged-in user is shown (action ``view``), and makes the request known to the
entries written while it is served (:data:`kokin.audit.services.current_request`).

Placed after the second-factor and operator middleware, so a request that is turned away there (to
the login or the second factor) is not a view. Not logged here: static files; the login flow itself
(logged as login, login_failed, lockout, second_factor, logout); the API, whose endpoints log each
call with what it showed (action ``api_view``); and requests whose view wrote its own entry
(:func:`kokin.audit.services.mark_recorded`). A request other than GET or HEAD changes something and
is logged by the operation it performs; here only if it was refused or failed (action ``request``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from kokin.audit.services import current_request, hub_role, record

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


def role_for(request: HttpRequest, user: Any) -> str:
    """The user's roles on the business the page is about (its ``business`` URL parameter), or the
    hub-wide role; no query unless the page names a business.
    """
    match = request.resolver_match
    code = match.kwargs.get("business") if match is not None else None
    if isinstance(code, str):
        from kokin.accounts.models import Role, RoleAssignment

        roles = RoleAssignment.objects.filter(user=user, business__code=code).values_list("role", flat=True)
        labels = "・".join(Role(r).label for r in sorted(roles))
        if labels:
            return labels
    return hub_role(user)


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        if self.should_log(request, response):
            status = response.status_code
            reading = request.method in ("GET", "HEAD")
            detail: dict[str, Any] = {"status": status}
            if not reading:
                detail["method"] = request.method
            record(
                action="view" if reading else "request",
                request=request,
                actor=request.user,
                role=role_for(request, request.user),
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
