"""The responsible person (個人情報保護管理責任者) and the numbered versions of the two registers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from kokin.accounts.models import User


class Kind(models.TextChoices):
    """The two registers; the label is each one's title on the page and in the reports."""

    ROSTER = "roster", "従事者名簿"
    EQUIPMENT = "equipment", "情報処理機器届出台帳"


KEPT_AS_HISTORY = (
    "個人情報保護管理責任者の記録は変更できません。変更は新しい登録として行ってください (履歴を残すため)。"
)


class ResponsiblePerson(models.Model):
    """The person in charge of protecting the ward's personal data (別紙3 第4条2), named in the roster.

    Each appointment or change is a new row, never an edit: the newest row is the current person, the
    older rows are the history (:func:`kokin.registers.services.appoint`).
    """

    name = models.CharField("氏名", max_length=100)
    title = models.CharField("役職", max_length=100)
    contact = models.CharField("連絡先", max_length=200, help_text="電話番号・メールアドレスなど")
    since = models.DateField("就任日")
    recorded_at = models.DateTimeField("登録日時", auto_now_add=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="登録者"
    )

    class Meta:
        verbose_name = verbose_name_plural = "個人情報保護管理責任者"
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})"

    @classmethod
    def current(cls) -> ResponsiblePerson | None:
        """The person responsible now: the newest record."""
        return cls.objects.order_by("-recorded_at", "-pk").first()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(KEPT_AS_HISTORY)
        super().save(*args, **kwargs)


class RegisterVersion(models.Model):
    """One version of a register: what it listed (``snapshot``, with the SHA-256 of its canonical form),
    what changed against the version before (Japanese lines), and the administrator's sign-off.

    Made by :func:`kokin.registers.services.refresh` when a change to the accounts, the roles, the
    responsible person or the terminals alters what the register lists; never edited afterwards but
    for the sign-off.
    """

    kind = models.CharField("台帳", max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField("版")
    snapshot = models.JSONField("内容")
    sha256 = models.CharField("内容の SHA-256", max_length=64)
    made_at = models.DateTimeField("作成日時")
    changes = models.JSONField("前の版からの変更", default=list)
    signed_off_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="確認者"
    )
    signed_off_at = models.DateTimeField("確認日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "届出台帳の版"
        ordering = ["kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="unique_register_version"),
            models.CheckConstraint(
                condition=models.Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | models.Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
                name="register_signoff_by_and_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 第{self.number}版"

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None
