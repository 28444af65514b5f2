"""API tokens (APIトークン): bound to one user; only a prefix and the secret's SHA-256 are stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class APIToken(models.Model):
    """A bearer token ``kk_<prefix>_<secret>``; the secret is shown once and never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="利用者"
    )
    name = models.CharField("名前", max_length=100)
    prefix = models.CharField("識別子", max_length=16, unique=True)
    secret_sha256 = models.CharField("秘密部分の SHA-256", max_length=64)
    created = models.DateTimeField("作成日時", default=timezone.now)
    last_used = models.DateTimeField("最終使用日時", null=True, blank=True)
    expires = models.DateTimeField("有効期限", null=True, blank=True)
    revoked = models.DateTimeField("失効日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "APIトークン"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} (kk_{self.prefix}_…)"

    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now) and self.user.is_active
