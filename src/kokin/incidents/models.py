"""Incidents (事故・インシデント, 別紙3 第15条), their timeline, the drafts of the 漏えい等報告, and what the
detection rules count (kept in the database, so every worker and app server sees the same counts).
"""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    LOW = "low", "低"
    MEDIUM = "medium", "中"
    HIGH = "high", "高"
    CRITICAL = "critical", "重大"


class State(models.TextChoices):
    """検知 → 調査中 → 報告済 → 完了, forward only, one step at a time."""

    DETECTED = "detected", "検知"
    INVESTIGATING = "investigating", "調査中"
    REPORTED = "reported", "報告済"
    CLOSED = "closed", "完了"


class MailStatus(models.TextChoices):
    PENDING = "pending", "未送信"
    SENT = "sent", "送信済"
    FAILED = "failed", "送信失敗"
    NOBODY = "nobody", "宛先なし"


class Incident(models.Model):
    number = models.PositiveIntegerField("インシデント番号", unique=True)
    rule = models.CharField("検知ルール", max_length=64, db_index=True)
    severity = models.CharField("重大度", max_length=10, choices=Severity.choices)
    state = models.CharField("状態", max_length=16, choices=State.choices, default=State.DETECTED, db_index=True)
    title = models.CharField("件名", max_length=200)
    summary = models.TextField("概要")
    #: what it is about, as ``kind:key``: ``account:zeimu-send``, ``address:192.0.2.7``, ``business:zeimu-shuno``
    subject = models.CharField("対象", max_length=255, db_index=True)
    #: the operation-log entries (their ``seq``) that raised it
    evidence = models.JSONField("根拠 (操作ログの連番)", default=list, blank=True)
    first_seen = models.DateTimeField("初回検知")
    last_seen = models.DateTimeField("最終検知")
    occurrences = models.PositiveIntegerField("検知回数", default=1)
    may_involve_personal_data = models.BooleanField("個人データを含むおそれ", default=False)
    #: business codes
    businesses = models.JSONField("関係する業務", default=list, blank=True)
    #: ``{"id": …, "data_kind": DataKind id or null, "records": count or null}`` each
    files = models.JSONField("関係するファイル", default=list, blank=True)
    opened_at = models.DateTimeField("登録日時", auto_now_add=True)
    closed_at = models.DateTimeField("完了日時", null=True, blank=True)
    mail_status = models.CharField("通知メール", max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    mail_error = models.TextField("通知メールの誤り", blank=True)
    mail_attempts = models.PositiveIntegerField("通知メールの送信回数", default=0)
    mail_sent_at = models.DateTimeField("通知メールの送信日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "インシデント"
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"インシデント {self.number}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state != State.CLOSED


class IncidentNote(models.Model):
    """One line of the timeline: a state change (with its reason) or a note."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField("日時", auto_now_add=True)
    author = models.CharField("記入者", max_length=150)
    role = models.CharField("役割", max_length=100, blank=True)
    from_state = models.CharField("変更前の状態", max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField("変更後の状態", max_length=16, choices=State.choices, blank=True)
    text = models.TextField("内容")

    class Meta:
        verbose_name = verbose_name_plural = "インシデントの経過"
        ordering = ["at", "pk"]


class ReportVersion(models.Model):
    """One saved version of the 漏えい等報告 draft; versions are never changed, only added."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reports")
    version = models.PositiveIntegerField("版")
    saved_at = models.DateTimeField("保存日時", auto_now_add=True)
    saved_by = models.CharField("保存者", max_length=150)
    #: 不正の目的をもって行われたおそれ: the 確報 is due in 60 days instead of 30
    malicious = models.BooleanField("不正の目的によるおそれ", default=False)
    #: field code → text (:data:`kokin.incidents.report.FIELDS`)
    content = models.JSONField("内容", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "漏えい等報告の案"
        ordering = ["incident", "version"]
        constraints = [models.UniqueConstraint(fields=["incident", "version"], name="incident_report_version")]


class DefenderEvent(models.Model):
    """One scored login event of one key (``account:<ID>`` or ``address:<IP>``)."""

    key = models.CharField(max_length=200)
    at = models.DateTimeField(db_index=True)
    score = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=32)
    #: the operation-log entry of the attempt (0: none)
    evidence = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]


class DefenderBan(models.Model):
    key = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    until = models.DateTimeField()
    #: the how-many-th ban of the key (its length grew with it)
    nth = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "until"])]


class DownloadEvent(models.Model):
    """One file downloaded from a business, for the mass-download rule."""

    business = models.CharField(max_length=32)
    at = models.DateTimeField()
    size = models.BigIntegerField()
    file = models.CharField(max_length=64, blank=True)
    data_kind = models.BigIntegerField(null=True)
    records = models.BigIntegerField(null=True)
    evidence = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["business", "at"])]
