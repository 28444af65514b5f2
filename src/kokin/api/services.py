"""Operations that change state for the API: issuing, checking and revoking tokens; logging API reads.

A token reads ``kk_<prefix>_<secret>``. The prefix finds the row; the secret (256 random bits) is
compared by its SHA-256, so a copy of the database does not give anyone a usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import escape_uri_path

from kokin.accounts.models import Business, User
from kokin.api import selectors
from kokin.api.models import APIToken
from kokin.audit.services import record

TOKEN_PREFIX = "kk"
#: ``last_used`` is written at most once a minute per token, so reads do not each cost a write
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


def create_token(*, user: User, name: str, days: int | None = 90) -> tuple[APIToken, str]:
    """Issue a token for ``user``; returns the row and the full token text, which is not kept anywhere."""
    prefix, secret = new_secret()
    expires = timezone.now() + timedelta(days=days) if days else None
    with transaction.atomic():
        token = APIToken.objects.create(
            user=user, name=name, prefix=prefix, secret_sha256=secret_digest(secret), expires=expires
        )
        record(
            action="api_token_create",
            actor=user,
            object=f"API token {prefix}",
            detail={"name": name, "expires": expires.isoformat() if expires else None},
        )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def revoke_token(*, prefix: str) -> APIToken | None:
    """Revoke the token with ``prefix`` (the part after ``kk_``); ``None`` if there is none."""
    with transaction.atomic():
        token = APIToken.objects.select_for_update().select_related("user").filter(prefix=prefix).first()
        if token is None:
            return None
        if token.revoked is None:
            token.revoked = timezone.now()
            token.save(update_fields=["revoked"])
            record(action="api_token_revoke", actor=token.user, object=f"API token {prefix}")
    return token


def authenticate(raw: str) -> APIToken | None:
    """The usable token that ``raw`` names, or ``None`` (malformed, unknown, wrong secret, expired, revoked)."""
    parts = split_token(raw, TOKEN_PREFIX)
    if parts is None:
        return None
    prefix, secret = parts
    token = APIToken.objects.select_related("user__department").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_sha256, secret_digest(secret)) or not token.is_usable():
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        APIToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def call_of(request: HttpRequest) -> str:
    """``GET /api/...`` with the path percent-encoded, so no control character reaches the log."""
    return f"{request.method} {escape_uri_path(request.path)}"


def record_api_call(
    request: HttpRequest,
    *,
    user: User,
    business: Business | None = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> None:
    """Log one API call that shows data (action ``api_view``), or its denial (outcome ``denied``)."""
    record(
        action="api_view",
        request=request,
        actor=user,
        role=selectors.role_label(user, business),
        object=call_of(request),
        outcome=outcome,
        detail=detail,
    )


def record_auth_failure(request: HttpRequest, raw: str) -> None:
    """Log a presented token that was refused (only its prefix, never the secret)."""
    parts = raw.strip().split("_", 2)
    prefix = parts[1][:16] if len(parts) == 3 and parts[0] == TOKEN_PREFIX else ""
    record(
        action="api_auth_failure",
        request=request,
        actor="",
        object=call_of(request),
        outcome="failure",
        detail={"token_prefix": prefix} if prefix else {},
    )
