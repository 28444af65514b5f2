"""Forms of the login flow and the security settings page (labels and messages in Japanese)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm


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
    """A 6-digit code from the authenticator app."""

    token = forms.CharField(
        label="確認コード (認証アプリの6桁)",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        value = "".join(str(self.cleaned_data["token"]).split())
        if not value.isdigit():
            raise forms.ValidationError("確認コードは数字で入力してください。")
        return value


class RecoveryCodeForm(forms.Form):
    token = forms.CharField(
        label="回復コード",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ReauthForm(forms.Form):
    password = forms.CharField(
        label="パスワード",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
