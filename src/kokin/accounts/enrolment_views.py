"""The page behind a one-time enrolment link: the operator sets their own password, then enrols a
second factor (the first-login enrolment, ``accounts:enrol``). See :mod:`kokin.accounts.enrolment`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse_lazy

from kokin.accounts.actors import actor_of
from kokin.accounts.enrolment import tokens
from kokin.accounts.models import User
from kokin.audit.services import record


class EnrolmentForm(SetPasswordForm):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "新しいパスワード"
        self.fields["new_password2"].label = "新しいパスワード (確認)"


class EnrolmentView(PasswordResetConfirmView):
    """Django's password-reset confirmation with the enrolment token; logs the operator in (password
    only) and sends them on to the second factor's enrolment."""

    form_class = EnrolmentForm
    token_generator = tokens
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("accounts:verify")
    template_name = "accounts/enrolment_link.html"

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None  # a disabled account gets no password

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:
            record(
                action="enrolment_link_use",
                actor=actor_of(self.request, name=self.user.username if self.user else ""),
                object=f"user:{self.user.username}" if self.user else "",
                outcome="failure",
            )
            response.status_code = 410
        return response

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response: HttpResponse = super().form_valid(form)
        record(action="enrolment_link_use", actor=actor_of(self.request), object=f"user:{form.user.username}")
        return response
