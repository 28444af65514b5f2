"""The vault's rows: one :class:`Blob` per stored file, and the body chunks of the database store.

A blob row never holds plaintext: only the size and SHA-256 of the plaintext, the data key wrapped
(encrypted) by the master key, and which master key and which body store were used.
"""

from __future__ import annotations

import uuid

from django.db import models


class Blob(models.Model):
    id = models.UUIDField("ID", primary_key=True, default=uuid.uuid4, editable=False)
    size = models.BigIntegerField("サイズ (バイト)")
    sha256 = models.CharField("SHA-256 (平文)", max_length=64, db_index=True)
    #: the Tink streaming-AEAD keyset of this file, encrypted by the master key (associated data:
    #: the blob id); emptied when the file is shredded
    wrapped_key = models.BinaryField("暗号化されたデータ鍵", editable=False)
    master_key_id = models.CharField("マスター鍵 ID", max_length=200, db_index=True)
    #: the encryption scheme of the body, so a later scheme can sit beside this one
    scheme = models.CharField("暗号方式", max_length=64)
    backend = models.CharField("保管先", max_length=32)
    created_at = models.DateTimeField("保管日時", auto_now_add=True)
    shredded_at = models.DateTimeField("消去日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "保管ファイル"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"blob:{self.id}"

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None


class BlobChunk(models.Model):
    """One piece of an encrypted body in the database store (for app servers sharing PostgreSQL).

    Chunks are ciphertext only. They are written before their :class:`Blob` row exists; chunks with
    no blob row are an upload in progress or an orphan, which :func:`kokin.vault.shredding.sweep`
    removes when old.
    """

    blob_id = models.UUIDField(db_index=True)
    seq = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "保管ファイルの断片"
        constraints = [models.UniqueConstraint(fields=["blob_id", "seq"], name="vault_chunk_blob_seq")]
