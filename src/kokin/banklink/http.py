"""The bank link's HTTP vocabulary (docs/banklink.md): :class:`Refusal`, the error every bank-link
service raises with its HTTP status and headers; the tus constants announced to the bank; and the
header values of a download (digests, ``Range``)."""

from __future__ import annotations

import base64

from django.conf import settings

from kokin.banklink import ranges
from kokin.errors import KokinError

TUS_VERSION = "1.0.0"
#: the largest upload announced in OPTIONS; each mailbox's own limit (ExchangePolicy) applies too
MAX_UPLOAD_BYTES = int(getattr(settings, "BANKLINK_MAX_UPLOAD_BYTES", 2 * 1024**3))


class Refusal(KokinError):
    """A request the bank link answers with an error: HTTP status and the reason in Japanese and English."""

    def __init__(self, status: int, message_ja: str, message_en: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message_ja, message_en)
        self.status = status
        self.headers = headers or {}


def digest_headers(sha256_hex: str) -> dict[str, str]:
    """``ETag``, ``Repr-Digest`` (RFC 9530) and ``Digest`` (RFC 3230) of the whole representation."""
    b64 = base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")
    return {"ETag": f'"{sha256_hex}"', "Repr-Digest": f"sha-256=:{b64}:", "Digest": f"SHA-256={b64}"}


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``Range`` → (first, last) inclusive (:func:`kokin.banklink.ranges.parse`); ``None`` without a
    header; :class:`Refusal` 416 with ``Content-Range: bytes */size`` for any range not served."""
    try:
        return ranges.parse(header, size)
    except ranges.Unsatisfiable as exc:
        raise Refusal(
            416,
            "範囲指定 (Range) が正しくありません",
            "the requested range cannot be served",
            headers={"Content-Range": f"bytes */{size}"},
        ) from exc
