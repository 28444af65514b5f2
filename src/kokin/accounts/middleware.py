"""Per-request rules for operators: one session, allowed terminal, second factor, new password."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kokin.accounts.network import terminal_allowed

# paths an operator may reach before the second factor (and the password change) is done
OPEN_PREFIXES = ("/static/", "/accounts/", "/api/", "/favicon.ico")


class OperatorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(("/static/", "/api/")):
            current = getattr(user, "current_session_key", "")
            if current and request.session.session_key != current:
                logout(request)
                messages.warning(request, "別の端末でログインしたため、この画面のセッションは終了しました。")
                return redirect("accounts:login")
            if not terminal_allowed(user, request):
                logout(request)
                return render(request, "kokin/terminal_denied.html", status=403)
            if not request.path.startswith(OPEN_PREFIXES):
                if not user.is_verified():  # type: ignore[attr-defined]  # added by django-otp
                    return redirect("accounts:verify")
                if getattr(user, "must_change_password", False):
                    return redirect("accounts:password_change")
        return self.get_response(request)
