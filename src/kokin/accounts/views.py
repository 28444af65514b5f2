"""Login in two steps (ID + password, then a second factor), password change, logout."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts.models import User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "ID またはパスワードが正しくありません。",
        "inactive": "このアカウントは無効です。",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "ID"
        self.fields["password"].label = "パスワード"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="確認コード (6桁)",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        login(request, user)
        user.current_session_key = request.session.session_key or ""
        user.save(update_fields=["current_session_key"])
        return redirect("accounts:verify")
    return render(request, "accounts/login.html", {"form": form})


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=403)


@login_required
def verify_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect("home")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].replace(" ", "")
        for device in devices_for_user(user, confirmed=True):
            if isinstance(device, TOTPDevice) and device.verify_token(token):
                otp_login(request, device)
                return redirect("home")
        form.add_error("token", "確認コードが正しくありません。")
    return render(request, "accounts/verify.html", {"form": form})


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, user)
        user.current_session_key = request.session.session_key or ""
        user.save(update_fields=["current_session_key"])
        messages.success(request, "パスワードを変更しました。")
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    devices = list(devices_for_user(request.user, confirmed=True))
    return render(request, "accounts/security.html", {"devices": devices})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "ログアウトしました。")
    return redirect("accounts:login")
