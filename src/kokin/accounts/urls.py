from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from kokin.accounts import grant_views, views
from kokin.accounts.enrolment_views import EnrolmentView


def _passkeys(name: str) -> Callable[..., HttpResponse]:
    """A view of :mod:`kokin.accounts.passkeys`, imported on its first request: py_webauthn and what it
    loads (CBOR, ASN.1, pyOpenSSL) stay out of a worker that never serves a security-key ceremony."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target: Callable[..., HttpResponse] = getattr(import_module("kokin.accounts.passkeys"), name)
        return target(request, *args, **kwargs)

    view.__name__ = view.__qualname__ = name
    return view


app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("locked/", views.locked_page, name="locked"),
    path("enrolment/<uidb64>/<token>/", EnrolmentView.as_view(), name="enrolment"),
    path("grants/", grant_views.pending_view, name="grants"),
    path("grants/<int:pk>/decide/", grant_views.decide_view, name="grant_decide"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("step-up/", views.step_up_view, name="step_up"),
    path("password/", views.password_change_view, name="password_change"),
    path("security/", views.security_view, name="security"),
    path("security/recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("security/totp/", views.totp_reset_view, name="totp_reset"),
    path("security/keys/<int:pk>/delete/", views.key_delete_view, name="key_delete"),
    path("webauthn/register/begin/", _passkeys("register_begin"), name="webauthn_register_begin"),
    path("webauthn/register/complete/", _passkeys("register_complete"), name="webauthn_register_complete"),
    path("webauthn/authenticate/begin/", _passkeys("authenticate_begin"), name="webauthn_authenticate_begin"),
    path("webauthn/authenticate/complete/", _passkeys("authenticate_complete"), name="webauthn_authenticate_complete"),
]
