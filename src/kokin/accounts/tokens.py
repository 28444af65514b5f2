"""Bearer tokens for machines (API tokens ``kk_…``, bank-link tokens ``kb_…``): one scheme for both.

A token reads ``<scheme>_<prefix>_<secret>``. The prefix finds the row; the secret (256 random bits)
is compared by its SHA-256, so a copy of the database does not give anyone a usable token. A
:class:`TokenScheme` (after the strategy objects of Django's ``contrib/auth/tokens.py``) issues and
reads the tokens of one scheme; the model rows, expiry and revocation stay with their apps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

#: ``last_used``/``last_seen`` is written at most once a minute per token, so requests do not each cost a write
LAST_USED_RESOLUTION = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    """What is kept of a token's secret: its SHA-256 (the secret is 256 random bits, so no slow hash)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> tuple[str, str]:
    """A token's public prefix (to find its row) and its secret (shown once, only its digest kept)."""
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def split_token(raw: str, scheme: str) -> tuple[str, str] | None:
    """``<scheme>_<prefix>_<secret>`` → (prefix, secret), or ``None`` if it is not of that form. The
    secret is URL-safe base64 and may itself contain ``_``."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != scheme or not parts[1] or not parts[2]:
        return None
    _, prefix, secret = parts
    if not prefix.isascii() or not prefix.isalnum() or len(prefix) > 16:
        return None
    return prefix, secret


@dataclass(frozen=True)
class NewToken:
    """A freshly issued token: ``text`` is shown once; only ``prefix`` and ``digest`` are kept."""

    prefix: str
    digest: str
    text: str


@dataclass(frozen=True)
class TokenScheme:
    """The tokens that start ``<scheme>_``: issuing one, reading one, checking its secret."""

    scheme: str

    def issue(self) -> NewToken:
        prefix, secret = new_secret()
        return NewToken(prefix, secret_digest(secret), f"{self.scheme}_{prefix}_{secret}")

    def split(self, raw: str) -> tuple[str, str] | None:
        return split_token(raw, self.scheme)

    def check(self, stored_digest: str, secret: str) -> bool:
        """Whether ``secret`` is the one whose digest was kept (compared in constant time)."""
        return hmac.compare_digest(stored_digest, secret_digest(secret))


def call_of(request: HttpRequest) -> str:
    """``GET /api/...`` with the path percent-encoded, so no control character reaches the log."""
    return f"{request.method} {escape_uri_path(request.path)}"
