"""Courses (研修) and who completed them; the handling rules (取扱規程) and who acknowledged which version.

A record and an acknowledgement are evidence reported to the ward (別紙3 第9条, 第16条): a user who has
one is deactivated, never deleted (``on_delete=PROTECT``), and an acknowledged version of the rules is
never edited (a new version is added instead; :mod:`kokin.training.admin`).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


class Course(models.Model):
    """A training course the provider gives its operators, e.g. 個人情報の取扱いに関する研修."""

    code = models.SlugField("研修コード", max_length=32, unique=True)
    title = models.CharField("研修名", max_length=200)
    version = models.CharField("版", max_length=40, help_text="教材の版 (例: 2025年度版)。受講の記録に写されます")
    description = models.TextField("内容", blank=True)
    active = models.BooleanField("実施中", default=True, help_text="外すと受講の記録の候補に出ません")

    class Meta:
        verbose_name = verbose_name_plural = "研修"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class TrainingRecord(models.Model):
    """One operator completed one course on one day; the course's version is copied as it was then."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records", verbose_name="受講者"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="records", verbose_name="研修")
    course_version = models.CharField("研修の版", max_length=40)
    completed_on = models.DateField("受講日")
    recorded_by = models.CharField("記録者", max_length=150)
    recorded_at = models.DateTimeField("記録日時", auto_now_add=True)
    note = models.CharField("備考", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "研修の受講記録"
        ordering = ["completed_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "completed_on"], name="one_record_per_course_and_day")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.course.title} {self.completed_on:%Y-%m-%d}"


class HandlingRules(models.Model):
    """A version of the handling rules (個人情報の取扱規程, 別紙3 第4条) the operators acknowledge. The rules
    in effect are the version with the latest ``effective_from`` not after today
    (:func:`kokin.training.selectors.current_rules`)."""

    version = models.PositiveIntegerField("版", unique=True)
    title = models.CharField("表題", max_length=200)
    text = models.TextField("本文")
    effective_from = models.DateField("施行日")

    class Meta:
        verbose_name = verbose_name_plural = "取扱規程"
        ordering = ["-effective_from", "-version"]

    def __str__(self) -> str:
        return f"{self.title} 第{self.version}版"

    @property
    def sha256(self) -> str:
        """The SHA-256 of the text as it is acknowledged (UTF-8), kept with each acknowledgement."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class Acknowledgement(models.Model):
    """An operator read a version of the rules and undertook to follow them, at a time, from an address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acknowledgements", verbose_name="利用者"
    )
    rules = models.ForeignKey(
        HandlingRules, on_delete=models.PROTECT, related_name="acknowledgements", verbose_name="取扱規程"
    )
    rules_version = models.PositiveIntegerField("確認した版")
    at = models.DateTimeField("確認日時")
    text_sha256 = models.CharField("確認した本文の SHA-256", max_length=64)
    client_address = models.CharField("接続元", max_length=45, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "取扱規程の確認"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["user", "rules", "at"], name="acknowledgement_lookup")]

    def __str__(self) -> str:
        return f"{self.user} 第{self.rules_version}版 {self.at:%Y-%m-%d}"
