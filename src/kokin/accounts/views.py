"""Login in two steps (ID + password, then a second factor), enrolment, re-authentication, the
security settings page, password change, lockout and logout.

Paths under ``/accounts/`` are reachable before the second factor (the login flow lives there), so
every view that needs a verified session says so with :func:`verified_required`; changes to the
factors also need the password entered within the last few minutes (:func:`recent_auth_required`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts import login_flow, services, throttle
from kokin.accounts.actors import actor_of
from kokin.accounts.forms import LoginForm, ReauthForm, RecoveryCodeForm, TokenForm
from kokin.accounts.models import User, WebAuthnDevice
from kokin.accounts.network import client_ip, terminal_refusal
from kokin.audit.services import mark_recorded, record

SESSION_PENDING_TOTP = "kokin_pending_totp"
#: why the login page is shown again (``?reason=``)
LOGIN_NOTICES = {"superseded": "別の端末でログインしたため、この画面のセッションは終了しました。"}
LOW_RECOVERY_CODES = 3

View = Callable[..., HttpResponse]


def verified_required(view: View) -> View:
    """Logged in and past the second factor; otherwise to the login or the second-factor page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not services.is_verified(request.user):
            return redirect("accounts:verify")
        return view(request, *args, **kwargs)

    return wrapper


def recent_auth_required(view: View) -> View:
    """The password was entered in the last :data:`services.REAUTH_SECONDS` (at login or again)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.recently_authenticated(request.session):
            back = request.get_full_path() if request.method == "GET" else reverse("accounts:security")
            messages.info(request, "続けるには、パスワードをもう一度入力してください。")
            return redirect(reverse("accounts:reauth") + "?" + urlencode({"next": back}))
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# --- lockout -----------------------------------------------------------------------------------


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``): a page, or JSON for the WebAuthn calls."""
    if request.user.is_authenticated:
        logout(request)
    if request.path.startswith("/accounts/webauthn/"):
        return JsonResponse(
            {"error": "アカウントがロックされています。", "redirect": reverse("accounts:locked")},
            status=403,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "accounts/locked_out.html", status=403)


def locked_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/locked_out.html", status=403)


THROTTLED_TEXT = "この接続元からのログインの失敗が多いため、しばらくログインを受け付けません。"


def address_limited(view: View) -> View:
    """Refuse (HTTP 429, ``Retry-After``) the login steps' POSTs from an address over its failure limit
    (:mod:`kokin.accounts.throttle`); the attempt is neither checked nor counted against an ID."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = throttle.retry_after(client_ip(request)) if request.method == "POST" else None
        if wait is None:
            return view(request, *args, **kwargs)
        mark_recorded(request)  # the lock was logged when it began (address_lockout), not each refusal
        response: HttpResponse
        if request.path.startswith("/accounts/webauthn/"):
            response = JsonResponse({"error": THROTTLED_TEXT}, status=429, json_dumps_params={"ensure_ascii": False})
        else:
            minutes = max(1, -(-wait // 60))
            response = render(request, "accounts/throttled.html", {"minutes": minutes}, status=429)
        response["Retry-After"] = str(wait)
        return response

    return wrapper


# --- login -------------------------------------------------------------------------------------


@address_limited
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and services.is_verified(request.user):
        return redirect("home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user: User = form.get_user()
        refusal = terminal_refusal(user, request)
        if refusal is not None:
            record(
                action="terminal_denied",
                actor=actor_of(request, user),
                object=f"user:{user.username}",
                outcome="denied",
                detail={"reason": refusal},
            )
            return render(request, "kokin/terminal_denied.html", status=403)
        login(request, user)
        services.mark_authenticated_now(request.session)
        return redirect("accounts:verify")
    notice = LOGIN_NOTICES.get(request.GET.get("reason", ""), "")
    return render(request, "accounts/login.html", {"form": form, "notice": notice})


def _factors(user: User) -> dict[str, Any]:
    return {
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "recovery": services.remaining_recovery_codes(user),
        "keys": WebAuthnDevice.objects.filter(user=user, confirmed=True).exists(),
    }


@login_required
@address_limited
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if services.is_verified(user):
        return redirect("home")
    if login_flow.is_locked(request, user.username):
        logout(request)
        return locked_page(request)
    factors = _factors(user)
    if not (factors["totp"] or factors["recovery"] or factors["keys"]):
        return redirect("accounts:enrol")
    method = request.POST.get("method", "totp") if request.method == "POST" else "totp"
    form = TokenForm(request.POST if method == "totp" and request.method == "POST" else None)
    recovery_form = RecoveryCodeForm(
        request.POST if method == "recovery" and request.method == "POST" else None, prefix="recovery"
    )
    bound = form if method == "totp" else recovery_form
    if request.method == "POST" and method in ("totp", "recovery") and bound.is_valid():
        token = bound.cleaned_data["token"]
        devices: list[TOTPDevice | StaticDevice]
        if method == "totp":
            devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        else:
            token = services.normalise_recovery_code(token)
            devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
        wait = False
        for device in devices:
            # django-otp backs off after a wrong code (1, 2, 4 ... seconds); a code sent during the
            # back-off is refused unchecked, and still counts as a failed attempt here
            wait = wait or not device.verify_is_allowed()[0]
            if device.verify_token(token):
                login_flow.finish_login(request, device)
                if method == "recovery":
                    _recovery_code_used(request, user)
                return redirect("home")
        if login_flow.count_failure(request, action="second_factor", detail={"factor": method}):
            return locked_page(request)
        if wait:
            message = "続けて誤ったため、数秒待ってから入力してください。"
        else:
            message = "確認コードが正しくありません。" if method == "totp" else "回復コードが正しくありません。"
        bound.add_error("token", message)
    return render(request, "accounts/verify.html", {"form": form, "recovery_form": recovery_form, **factors})


def _recovery_code_used(request: HttpRequest, user: User) -> None:
    left = services.remaining_recovery_codes(user)
    text = f"回復コードでログインしました。残りの回復コードは {left} 個です。"
    if left <= LOW_RECOVERY_CODES:
        text += "認証設定で新しい回復コードを発行してください。"
    messages.warning(request, text)


def _qr_data_uri(device: TOTPDevice) -> str:
    import segno  # only for the enrolment page: kept out of every other request's worker

    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def _totp_context(device: TOTPDevice, form: TokenForm) -> dict[str, Any]:
    secret = services.totp_secret(device)
    return {
        "qr": _qr_data_uri(device),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "form": form,
    }


@login_required
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First login without any second factor: set up the authenticator app, then show recovery codes."""
    user = _user(request)
    if services.is_verified(user):
        return redirect("accounts:security")
    factors = _factors(user)
    if factors["totp"] or factors["recovery"] or factors["keys"]:
        return redirect("accounts:verify")
    if login_flow.is_locked(request, user.username):
        logout(request)
        return locked_page(request)
    device = services.pending_totp(user, request.session.get(SESSION_PENDING_TOTP))
    request.session[SESSION_PENDING_TOTP] = device.pk
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            actor = actor_of(request)
            services.confirm_totp(actor=actor, device=device, first=True)
            login_flow.finish_login(request, device)
            request.session.pop(SESSION_PENDING_TOTP, None)
            codes = services.new_recovery_codes(actor=actor, user=user)
            messages.success(request, "認証アプリを登録しました。")
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("home")})
        form.add_error("token", "確認コードが正しくありません。認証アプリの登録内容と端末の時刻を確かめてください。")
    return render(request, "accounts/enrol.html", _totp_context(device, form))


@verified_required
@address_limited
def reauth_view(request: HttpRequest) -> HttpResponse:
    """Enter the password again before changing the factors."""
    user = _user(request)
    form = ReauthForm(request.POST or None)
    target = _safe_next(request, reverse("accounts:security"))
    if request.method == "POST" and form.is_valid():
        # authenticate() goes through django-axes: a wrong password counts toward the lockout
        if authenticate(request, username=user.username, password=form.cleaned_data["password"]) is not None:
            services.mark_authenticated_now(request.session)
            record(action="reauth", actor=actor_of(request), object=f"user:{user.username}")
            return redirect(target)
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return locked_page(request)
        form.add_error("password", "パスワードが正しくありません。")
    return render(request, "accounts/reauth.html", {"form": form, "next": target})


@verified_required
@address_limited
def step_up_view(request: HttpRequest) -> HttpResponse:
    """Pass the second factor again (認証アプリ or a security key) before one action that asks for it,
    e.g. approving a large amount (:mod:`kokin.exchange.stepup`); then back to ``next``."""
    user = _user(request)
    factors = _factors(user)
    target = _safe_next(request, reverse("home"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = False
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            wait = wait or not device.verify_is_allowed()[0]
            if device.verify_token(form.cleaned_data["token"]):
                login_flow.finish_step_up(request, device)
                return redirect(target)
        if login_flow.count_failure(request, action="step_up", detail={"factor": "totp"}):
            return locked_page(request)
        message = "続けて誤ったため、数秒待ってから入力してください。" if wait else "確認コードが正しくありません。"
        form.add_error("token", message)
    context = {"form": form, "next": target, "totp": factors["totp"], "keys": factors["keys"]}
    return render(request, "accounts/step_up.html", context)


# --- security settings -------------------------------------------------------------------------


@verified_required
def security_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "totp_devices": TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
        "recovery_left": services.remaining_recovery_codes(user),
        "recovery_total": services.RECOVERY_CODE_COUNT,
        "keys": WebAuthnDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
        "recent": services.recently_authenticated(request.session),
    }
    return render(request, "accounts/security.html", context)


@require_POST
@verified_required
@recent_auth_required
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    codes = services.new_recovery_codes(actor=actor_of(request), user=_user(request))
    messages.success(request, "新しい回復コードを発行しました。以前の回復コードは使えません。")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:security")})


@verified_required
@recent_auth_required
def totp_reset_view(request: HttpRequest) -> HttpResponse:
    """Replace the authenticator app: scan a new secret and confirm a code from it."""
    user = _user(request)
    device = services.pending_totp(user, request.session.get(SESSION_PENDING_TOTP))
    request.session[SESSION_PENDING_TOTP] = device.pk
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            services.confirm_totp(actor=actor_of(request), device=device, first=False)
            request.session.pop(SESSION_PENDING_TOTP, None)
            otp_login(request, device)  # the session was verified by the app just replaced
            messages.success(request, "認証アプリを再登録しました。以前の認証アプリのコードは使えません。")
            return redirect("accounts:security")
        form.add_error("token", "確認コードが正しくありません。新しく登録した認証アプリのコードを入力してください。")
    return render(request, "accounts/totp_reset.html", _totp_context(device, form))


@require_POST
@verified_required
@recent_auth_required
def key_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(WebAuthnDevice, pk=pk, user=request.user)
    name = device.name
    services.remove_webauthn_device(actor=actor_of(request), device=device)
    messages.success(request, f"セキュリティキー「{name}」を削除しました。")
    return redirect("accounts:security")


@verified_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        user.must_change_password = False
        update_session_auth_hash(request, user)
        user.current_session_key = request.session.session_key or ""
        user.save(update_fields=["must_change_password", "current_session_key"])
        services.password_changed(actor=actor_of(request), user=user)
        messages.success(request, "パスワードを変更しました。")
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "ログアウトしました。")
    return redirect("accounts:login")
