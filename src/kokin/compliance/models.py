"""Every compliance report made: its period, when and by whom, and its PDF — kept encrypted in the vault
(:mod:`kokin.vault`), like every file the hub keeps. The PDF holds no payer's data, but it will list the
operators (the roster) and it is the ward's record of what was reported: the vault reads it back only
whole and unaltered (its SHA-256 is checked to the last byte), which a plain database column would not."""

from __future__ import annotations

from django.db import models

from kokin.compliance.period import Period
from kokin.vault.models import Blob


class ComplianceReport(models.Model):
    period_start = models.DateField("対象期間の始め")
    period_end = models.DateField("対象期間の終わり")
    made_at = models.DateTimeField("作成日時", db_index=True)
    made_by = models.CharField("作成者", max_length=150)
    made_by_role = models.CharField("作成者の役割", max_length=100, blank=True)
    sha256 = models.CharField("PDF の SHA-256", max_length=64)
    size = models.BigIntegerField("PDF のサイズ (バイト)")
    blob = models.OneToOneField(
        Blob, on_delete=models.PROTECT, related_name="compliance_report", verbose_name="保管 (暗号化した PDF)"
    )
    #: what ``kokin audit verify`` found when the report was made
    log_verified = models.BooleanField("操作ログの検証 (作成時)")

    class Meta:
        verbose_name = verbose_name_plural = "遵守状況の報告"
        ordering = ["-made_at", "-pk"]

    def __str__(self) -> str:
        return f"遵守状況の報告 {self.period.label} ({self.made_at:%Y-%m-%d %H:%M})"

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    @property
    def file_name(self) -> str:
        return f"遵守状況報告-{self.period.file_stem}.pdf"
