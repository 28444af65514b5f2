"""The vault's errors. Every message is in Japanese and English and names the blob it concerns."""

from __future__ import annotations

from uuid import UUID

from kokin.errors import KokinError


class VaultError(KokinError):
    """Base class of the vault's errors; ``str()`` gives the Japanese and the English message."""


class TamperedBlob(VaultError):
    """A stored file (its body, its wrapped data key or its recorded size and SHA-256) was altered or
    damaged. Raised instead of ever returning data that is not exactly what was stored.

    About the file, not a database constraint (that is :class:`django.db.IntegrityError`).
    """

    def __init__(self, blob_id: UUID | str, reason_ja: str, reason_en: str) -> None:
        self.blob_id = str(blob_id)
        super().__init__(
            f"保管ファイル {blob_id} の完全性を確認できません: {reason_ja}。改ざんまたは破損の疑いがあります",
            f"integrity check failed for stored file {blob_id}: {reason_en}; it was altered or damaged",
        )


class BlobShredded(VaultError):
    """The file was erased by crypto-shredding; its data key no longer exists."""

    def __init__(self, blob_id: UUID | str, when: str = "") -> None:
        self.blob_id = str(blob_id)
        at_ja = f" ({when})" if when else ""
        super().__init__(
            f"保管ファイル {blob_id} は消去済みです{at_ja}。データ鍵が破棄されているため読み出せません",
            f"stored file {blob_id} was erased{at_ja}: its data key was destroyed, it cannot be read",
        )


class ChecksumMismatch(VaultError):
    """The received file's SHA-256 is not the one the sender announced; nothing was stored."""

    def __init__(self, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"ファイルの SHA-256 が一致しません (期待値 {expected}、受信 {actual})。保管していません",
            f"SHA-256 mismatch (expected {expected}, received {actual}); nothing was stored",
        )


class MasterKeyError(VaultError):
    """The master key is missing, unreadable or cannot do what was asked (e.g. rotate an env key)."""


class ExportError(VaultError, ValueError):
    """An export package cannot be made as asked (password too short, bad member name)."""
