"""Operation-log entries. Each entry's MAC commits to the previous one's, keyed with a server secret."""

from __future__ import annotations

from typing import Any

from django.db import models


class AuditEntry(models.Model):
    seq = models.BigIntegerField("連番", unique=True)
    at = models.DateTimeField("日時", db_index=True)
    actor = models.CharField("操作者", max_length=150, blank=True, db_index=True)
    role = models.CharField("役割", max_length=100, blank=True)
    department = models.CharField("課", max_length=100, blank=True)
    client_ip = models.CharField("接続元IP", max_length=45, blank=True)
    cert_fingerprint = models.CharField("証明書指紋", max_length=95, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object = models.CharField("対象", max_length=255, blank=True)
    sha256 = models.CharField("ファイルSHA-256", max_length=64, blank=True)
    outcome = models.CharField("結果", max_length=16)
    detail = models.JSONField("詳細", default=dict, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "操作ログ"
        ordering = ["seq"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("operation-log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("operation-log entries cannot be deleted")


class AuditArchive(models.Model):
    """One archive file of the log's oldest entries (操作ログのアーカイブ), and the boundary it leaves.

    The entries ``first_seq``–``last_seq`` were written to ``name`` (its SHA-256 ``sha256``) and then
    removed from the database; the chain left in the database continues from ``last_mac``. The database
    lets an entry be deleted only when a row here covers it (migration ``0003``).
    """

    name = models.CharField("ファイル名", max_length=255, unique=True)
    sha256 = models.CharField("ファイルSHA-256", max_length=64)
    first_seq = models.BigIntegerField("最初の連番", unique=True)
    first_prev_mac = models.CharField("最初の記録の直前のMAC", max_length=64)
    last_seq = models.BigIntegerField("最後の連番", unique=True)
    last_mac = models.CharField("最後の記録のMAC", max_length=64)
    count = models.BigIntegerField("件数")
    #: entries older than this were due (the retention's cut)
    before = models.DateTimeField("対象 (この日時より前)")
    archived_at = models.DateTimeField("作成日時")

    class Meta:
        verbose_name = verbose_name_plural = "操作ログのアーカイブ"
        ordering = ["first_seq"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("an archive boundary cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("an archive boundary cannot be deleted")
