"""Password policy beyond Django's validators: at least three of four character classes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "パスワードには英小文字・英大文字・数字・記号のうち3種類以上を含めてください。",
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return "英小文字・英大文字・数字・記号のうち3種類以上を含めてください。"
