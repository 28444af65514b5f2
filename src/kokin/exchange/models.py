"""Exchanged files, the retention and upload policy of a business, and deletion certificates.

An :class:`ExchangeFile` row exists only for a file that passed validation and was stored in the
vault; a rejected file leaves nothing but its operation-log entry. After erasure the row stays as
a tombstone (no body, no data key): the summary it keeps has counts and totals, no personal data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from kokin.accounts.models import Business, DataKind, User
from kokin.exchange.states import State
from kokin.vault.models import Blob

DEFAULT_LEAD_BUSINESS_DAYS = 3
DEFAULT_DAYS_AFTER_DONE = 0  # 別紙3 第14条3: erase "直ちに" after inspection (at the next retention run)
DEFAULT_MAX_DAYS = 90
DEFAULT_MAX_UPLOAD_MB = 200


def _operator(verbose_name: str) -> models.ForeignKey[User | None, User | None]:
    """An operator who did something to a file (sent, approved, withdrew, inspected it): optional, and
    kept — a user who acted on a file cannot be deleted (PROTECT)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class ExchangePolicy(models.Model):
    """Per-business rules (業務ごとの設定); a business without a row uses the defaults."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="exchange_policy")
    lead_business_days = models.PositiveSmallIntegerField(
        "引落日までに必要な銀行営業日数", default=DEFAULT_LEAD_BUSINESS_DAYS
    )
    retention_days_after_inspection = models.PositiveIntegerField(
        "検収 (送信ファイルは金融機関の取得・取下げ) から消去までの日数", default=DEFAULT_DAYS_AFTER_DONE
    )
    retention_max_days = models.PositiveIntegerField("受信から消去までの最長日数", default=DEFAULT_MAX_DAYS)
    max_upload_mb = models.PositiveIntegerField("送信ファイルの上限 (MB)", default=DEFAULT_MAX_UPLOAD_MB)
    notify_by_mail = models.BooleanField("受信をメールで知らせる", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "ファイル交換の設定"

    def __str__(self) -> str:
        return f"{self.business} の設定"

    @classmethod
    def for_business(cls, business: Business) -> ExchangePolicy:
        """The business's policy, or an unsaved one with the defaults."""
        found = cls.objects.filter(business=business).first()
        return found if found is not None else cls(business=business)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


class ExchangeFile(models.Model):
    """One file in a mailbox (the :class:`DataKind` of a business) and where it is in its lifecycle."""

    id = models.UUIDField("ファイルID", primary_key=True, default=uuid.uuid4, editable=False)
    data_kind = models.ForeignKey(DataKind, on_delete=models.PROTECT, related_name="files", verbose_name="データ種別")
    direction = models.CharField("方向", max_length=10, choices=DataKind.Direction.choices, db_index=True)
    state = models.CharField("状態", max_length=20, choices=State.choices, db_index=True)
    original_name = models.CharField("ファイル名", max_length=255)
    size = models.BigIntegerField("サイズ (バイト)")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, related_name="exchange_file", verbose_name="保管")
    format = models.CharField("形式", max_length=40)
    mode = models.CharField(
        "請求・結果", max_length=10, blank=True, default="", choices=[("request", "請求"), ("result", "結果")]
    )
    summary = models.JSONField("集計", default=dict)
    error_count = models.PositiveIntegerField("エラー件数", default=0)
    warning_count = models.PositiveIntegerField("警告件数", default=0)
    #: the first warnings (record, field, code, message); a stored file has no errors
    warnings = models.JSONField("警告 (先頭)", default=list)
    #: who brought the file in: an operator's ID, ``os:<account>`` for a command, or a bank account
    received_by = models.CharField("受信の操作者", max_length=150)
    uploaded_by = _operator("送信者")
    approved_by = _operator("承認者")
    withdrawn_by = _operator("取下げ者")
    inspected_by = _operator("検収者")
    collected_by = models.CharField("取得した金融機関アカウント", max_length=150, blank=True)
    withdraw_reason = models.CharField("取下げ・差戻しの理由", max_length=500, blank=True)
    received_at = models.DateTimeField("受信日時", db_index=True)
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    collected_at = models.DateTimeField("金融機関の取得日時", null=True, blank=True)
    withdrawn_at = models.DateTimeField("取下げ日時", null=True, blank=True)
    first_downloaded_at = models.DateTimeField("初回取得日時", null=True, blank=True)
    last_downloaded_at = models.DateTimeField("最終取得日時", null=True, blank=True)
    download_count = models.PositiveIntegerField("取得回数", default=0)
    inspected_at = models.DateTimeField("検収日時", null=True, blank=True)
    erased_at = models.DateTimeField("消去日時", null=True, blank=True)
    retention_due = models.DateTimeField("消去予定日時", null=True, blank=True, db_index=True)
    debit_date = models.DateField("引落日", null=True, blank=True)
    consignor_code = models.CharField("委託者コード", max_length=10, blank=True)
    total_count = models.BigIntegerField("件数", default=0)
    total_amount = models.BigIntegerField("金額合計", default=0)
    #: every transition: ``{"state", "at", "by"}``
    history = models.JSONField("経過", default=list)

    class Meta:
        verbose_name = verbose_name_plural = "交換ファイル"
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(approved_by=F("uploaded_by")), name="exchange_file_four_eyes")
        ]

    def __str__(self) -> str:
        return f"{self.data_kind.label} {self.original_name} ({self.id})"

    @property
    def business(self) -> Business:
        return self.data_kind.business

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def is_stored(self) -> bool:
        return self.erased_at is None

    def note(self, state: str, at: dt.datetime, by: str, **extra: Any) -> None:
        self.history = [*self.history, {"state": state, "at": at.isoformat(), "by": by, **extra}]


class DeletionCertificate(models.Model):
    """消去証明書: the written report that a file was erased (別紙3 第14条), with its PDF.

    The file's identifying fields are copied, so the certificate stands on its own.
    """

    number = models.CharField("証明書番号", max_length=32, unique=True)
    file = models.OneToOneField(
        ExchangeFile, on_delete=models.PROTECT, related_name="certificate", verbose_name="対象ファイル"
    )
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+", verbose_name="業務")
    file_uid = models.UUIDField("ファイルID")
    kind_label = models.CharField("データ種別", max_length=100)
    business_label = models.CharField("業務名", max_length=250)
    original_name = models.CharField("ファイル名", max_length=255)
    size = models.BigIntegerField("サイズ (バイト)")
    sha256 = models.CharField("SHA-256", max_length=64)
    received_at = models.DateTimeField("受信日時")
    inspected_at = models.DateTimeField("検収日時", null=True, blank=True)
    erased_at = models.DateTimeField("消去日時")
    method = models.CharField("消去方法", max_length=500)
    reason = models.CharField("消去の理由", max_length=200)
    approved_by = models.CharField("承認者", max_length=250)
    executed_by = models.CharField("実行者", max_length=150)
    issued_at = models.DateTimeField("発行日時")
    pdf = models.BinaryField("PDF")
    pdf_sha256 = models.CharField("PDF の SHA-256", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "消去証明書"
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return f"消去証明書 {self.number}"
