"""The hub side of the bank link (docs/banklink.md): bank system accounts, resumable uploads from the
bank (tus) and the transfer history.

An upload's parts are vault blobs (encrypted, in the configured blob store), never plaintext on disk
or in the database, so any app server can resume an upload another one began.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, Network, parse_networks
from kokin.exchange.models import ExchangeFile
from kokin.vault.models import Blob


class BankAccount(models.Model):
    """A bank system account (金融機関システムアカウント): certificate + token + address range, and
    the businesses and mailboxes it serves (担当業務): it lists, downloads, acknowledges and uploads
    files of those only (:func:`kokin.banklink.selectors.served_kinds`); an account serving none
    serves nothing."""

    name = models.CharField("名前", max_length=100, unique=True)
    active = models.BooleanField("有効", default=True)
    cert_fingerprint = models.CharField("クライアント証明書 SHA-256 指紋", max_length=95)
    token_prefix = models.CharField("トークン識別子", max_length=16, unique=True)
    token_sha256 = models.CharField("トークン秘密部分の SHA-256", max_length=64)
    allowed_networks = models.TextField("接続を許可するアドレス (CIDR, カンマ区切り)")
    created = models.DateTimeField("作成日時", default=timezone.now)
    last_seen = models.DateTimeField("最終接続日時", null=True, blank=True)
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)
    #: every mailbox of these businesses, present and future
    businesses = models.ManyToManyField(Business, blank=True, related_name="bank_accounts", verbose_name="担当業務")
    #: single mailboxes by transfer ID (a debit request's result kind comes with it)
    data_kinds = models.ManyToManyField(
        DataKind, blank=True, related_name="bank_accounts", verbose_name="担当する転送ファイルID"
    )

    class Meta:
        verbose_name = verbose_name_plural = "金融機関システムアカウント"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def networks(self) -> list[Network]:
        return parse_networks(self.allowed_networks)


class Outcome(models.TextChoices):
    INCOMPLETE = "incomplete", "受信中"
    STORED = "stored", "受信済 (保管)"
    REJECTED = "rejected", "受付拒否"


class BankUpload(models.Model):
    """A tus upload from the bank: what was announced and how far it got."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="uploads")
    bank_file_id = models.CharField("金融機関のファイル識別子", max_length=200)
    transfer_id = models.CharField("転送ファイルID", max_length=50)
    data_kind = models.ForeignKey(DataKind, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField("ファイル名", max_length=255)
    length = models.BigIntegerField("長さ (バイト)")
    offset = models.BigIntegerField("受信済み (バイト)", default=0)
    sha256 = models.CharField("SHA-256 (申告)", max_length=64)
    outcome = models.CharField("結果", max_length=12, choices=Outcome.choices, default=Outcome.INCOMPLETE)
    file = models.ForeignKey(ExchangeFile, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    errors = models.JSONField("エラー (先頭)", default=list)
    reason = models.CharField("理由", max_length=500, blank=True)
    patches = models.PositiveIntegerField("PATCH 回数", default=0)
    retries = models.PositiveIntegerField("再送・再開の回数", default=0)
    #: set while one request checks and stores the complete file (a crash leaves it set; it goes stale)
    finishing_since = models.DateTimeField(null=True, blank=True)
    client_ip = models.CharField("接続元", max_length=45, blank=True)
    created = models.DateTimeField("開始日時", default=timezone.now)
    updated = models.DateTimeField("更新日時", default=timezone.now)
    finished = models.DateTimeField("完了日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "金融機関からの受信"
        constraints = [models.UniqueConstraint(fields=["account", "bank_file_id"], name="banklink_upload_bank_file_id")]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.filename} ({self.bank_file_id})"


class BankUploadPart(models.Model):
    """One PATCH's bytes, encrypted in the vault; parts follow each other by ``start``."""

    upload = models.ForeignKey(BankUpload, on_delete=models.CASCADE, related_name="parts")
    start = models.BigIntegerField()
    size = models.BigIntegerField()
    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["start"]
        constraints = [models.UniqueConstraint(fields=["upload", "start"], name="banklink_part_start")]


class Direction(models.TextChoices):
    TO_BANK = "to_bank", "送信 (ハブ→金融機関)"
    FROM_BANK = "from_bank", "受信 (金融機関→ハブ)"


class BankTransfer(models.Model):
    """転送履歴: one transfer over the bank link, finished (or given up) — as HULFT logs them."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="transfers")
    direction = models.CharField("方向", max_length=10, choices=Direction.choices)
    file = models.ForeignKey(ExchangeFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    bank_file_id = models.CharField("金融機関のファイル識別子", max_length=200, blank=True)
    transfer_id = models.CharField("転送ファイルID", max_length=50, blank=True)
    filename = models.CharField("ファイル名", max_length=255, blank=True)
    bytes = models.BigIntegerField("バイト数", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    started = models.DateTimeField("開始日時")
    finished = models.DateTimeField("終了日時")
    duration_ms = models.BigIntegerField("所要時間 (ミリ秒)", default=0)
    retries = models.PositiveIntegerField("再試行回数", default=0)
    outcome = models.CharField("結果", max_length=20)
    reason = models.CharField("理由", max_length=500, blank=True)
    client_ip = models.CharField("接続元", max_length=45, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "転送履歴"
        ordering = ["-finished", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.transfer_id} {self.filename} {self.outcome}"
