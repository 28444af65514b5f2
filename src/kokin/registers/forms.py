"""The sign-off form: the digest of the version shown, so the confirmation is of what was seen."""

from __future__ import annotations

from django import forms


class SignOffForm(forms.Form):
    sha256 = forms.RegexField(
        regex=r"^[0-9a-f]{64}$",
        widget=forms.HiddenInput,
        error_messages={
            "required": "確認する版の内容 (SHA-256) が送られていません。ページを開き直してください。",
            "invalid": "確認する版の内容 (SHA-256) の形が正しくありません。ページを開き直してください。",
        },
    )
