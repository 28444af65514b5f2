"""Per-request rules for operators: one session, allowed terminal, second factor, new password."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kokin.accounts import services
from kokin.accounts.network import terminal_allowed
from kokin.audit.services import record

# paths an operator may reach before the second factor (and the password change) is done
OPEN_PREFIXES = ("/static/", "/accounts/", "/api/", "/favicon.ico")


class OperatorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(("/static/", "/api/")):
            verified = services.is_verified(user)
            current = getattr(user, "current_session_key", "")
            # a session becomes the operator's one session when its second factor passes; an older
            # verified session ends here (a password alone cannot end the operator's session)
            if verified and current and request.session.session_key != current:
                record(action="session_superseded", request=request, object=f"user:{user.get_username()}")
                logout(request)
                # this middleware runs before the messages middleware, so the login page says why
                return redirect(reverse("accounts:login") + "?reason=superseded")
            if not terminal_allowed(user, request):
                record(
                    action="terminal_denied", request=request, object=f"user:{user.get_username()}", outcome="denied"
                )
                logout(request)
                return render(request, "kokin/terminal_denied.html", status=403)
            if not request.path.startswith(OPEN_PREFIXES):
                if not verified:
                    return redirect("accounts:verify")
                if getattr(user, "must_change_password", False):
                    return redirect("accounts:password_change")
        return self.get_response(request)
