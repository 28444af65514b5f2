"""Operations that change state for the API: issuing, checking and revoking tokens; logging API reads.

A token reads ``kk_<prefix>_<secret>`` (the scheme of :mod:`kokin.accounts.tokens`): the prefix finds the
row; only the secret's SHA-256 is kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kokin.accounts.actors import actor_of, role_on, user_actor
from kokin.accounts.models import Business, User
from kokin.accounts.tokens import LAST_USED_RESOLUTION, TokenScheme, call_of
from kokin.api.models import APIToken
from kokin.audit.actor import Actor
from kokin.audit.services import record

TOKEN_PREFIX = "kk"
_SCHEME = TokenScheme(TOKEN_PREFIX)


def create_token(*, user: User, name: str, days: int | None = 90) -> tuple[APIToken, str]:
    """Issue a token for ``user``; returns the row and the full token text, which is not kept anywhere."""
    new = _SCHEME.issue()
    prefix = new.prefix
    expires = timezone.now() + timedelta(days=days) if days else None
    with transaction.atomic():
        token = APIToken.objects.create(user=user, name=name, prefix=prefix, secret_sha256=new.digest, expires=expires)
        record(
            action="api_token_create",
            actor=user_actor(user),
            object=f"API token {prefix}",
            detail={"name": name, "expires": expires.isoformat() if expires else None},
        )
    return token, new.text


def revoke_token(*, prefix: str) -> APIToken | None:
    """Revoke the token with ``prefix`` (the part after ``kk_``); ``None`` if there is none."""
    with transaction.atomic():
        token = APIToken.objects.select_for_update().select_related("user").filter(prefix=prefix).first()
        if token is None:
            return None
        if token.revoked is None:
            token.revoked = timezone.now()
            token.save(update_fields=["revoked"])
            record(action="api_token_revoke", actor=user_actor(token.user), object=f"API token {prefix}")
    return token


def authenticate(raw: str) -> APIToken | None:
    """The usable token that ``raw`` names, or ``None`` (malformed, unknown, wrong secret, expired, revoked)."""
    parts = _SCHEME.split(raw)
    if parts is None:
        return None
    prefix, secret = parts
    token = APIToken.objects.select_related("user__department").filter(prefix=prefix).first()
    if token is None or not _SCHEME.check(token.secret_sha256, secret) or not token.is_usable():
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        APIToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def record_api_call(
    request: HttpRequest,
    actor: Actor,
    *,
    business: Business | None = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> None:
    """Log one API call that shows data (action ``api_view``), or its denial (outcome ``denied``), in
    the caller's roles on ``business`` (otherwise its hub-wide role). The request is the call the entry
    names (method and path), which is why this API-only helper takes it."""
    record(
        action="api_view",
        actor=actor,
        role=role_on(actor, business),
        object=call_of(request),
        outcome=outcome,
        detail=detail,
    )


def record_auth_failure(request: HttpRequest, raw: str) -> None:
    """Log a presented token that was refused (only its prefix, never the secret), as a caller with no
    name (whoever the request's session may be, the token proved no one)."""
    parts = _SCHEME.split(raw)
    prefix = parts[0] if parts is not None else ""
    record(
        action="api_auth_failure",
        actor=actor_of(request, AnonymousUser()),
        object=call_of(request),
        outcome="failure",
        detail={"token_prefix": prefix} if prefix else {},
    )
