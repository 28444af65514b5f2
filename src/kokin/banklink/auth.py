"""Authentication of a bank-link request: all three of the account's token, the client certificate
bound to it and an address in its allow-list; each refusal is logged as ``banklink_auth``. Part of the
HTTP edge (:mod:`kokin.banklink.api`): it reads the request itself."""

from __future__ import annotations

import hmac
import ipaddress

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from kokin.accounts.actors import BANK_ROLE, actor_of, bank_actor
from kokin.accounts.network import client_cert_fingerprint, client_ip
from kokin.accounts.tokens import LAST_USED_RESOLUTION, call_of
from kokin.audit.services import record
from kokin.banklink.accounts import SCHEME
from kokin.banklink.http import Refusal
from kokin.banklink.models import BankAccount


def _call_description(request: HttpRequest | None) -> str:
    return call_of(request) if request is not None else ""


def _token_parts(request: HttpRequest) -> tuple[str, str] | None:
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return SCHEME.split(value)


def _deny(request: HttpRequest, status: int, reason: str, ja: str, en: str, *, account: BankAccount | None) -> Refusal:
    parts = _token_parts(request)
    # a caller that proved no account is written with no name, in the bank's role
    actor = bank_actor(account.name, request) if account is not None else actor_of(request, AnonymousUser())
    record(
        action="banklink_auth",
        actor=actor.as_role(BANK_ROLE),
        object=_call_description(request),
        outcome="denied",
        detail={"reason": reason, "status": status, **({"token_prefix": parts[0]} if parts else {})},
    )
    headers = {"WWW-Authenticate": 'Bearer realm="kokin-banklink"'} if status == 401 else {}
    return Refusal(status, ja, en, headers=headers)


def authenticate(request: HttpRequest) -> BankAccount:
    """The bank account the request proves, all three: token, certificate bound to the account, address
    in its allow-list. Otherwise :class:`Refusal` (401 token, 403 the rest), logged as ``banklink_auth``."""
    parts = _token_parts(request)
    if parts is None:
        raise _deny(
            request,
            401,
            "no_token",
            "トークン (Authorization: Bearer kb_…) がありません",
            "a bearer token (kb_…) is required",
            account=None,
        )
    prefix, secret = parts
    account = BankAccount.objects.filter(token_prefix=prefix).first()
    if account is None or not SCHEME.check(account.token_sha256, secret):
        raise _deny(request, 401, "bad_token", "トークンが正しくありません", "the token is not valid", account=None)
    if not account.active:
        raise _deny(
            request, 403, "inactive", "このアカウントは失効しています", "this account has been revoked", account=account
        )
    presented = client_cert_fingerprint(request)
    bound = account.cert_fingerprint.replace(":", "").upper()
    if not presented or not hmac.compare_digest(presented, bound):
        raise _deny(
            request,
            403,
            "certificate" if presented else "no_certificate",
            "このアカウントに登録されたクライアント証明書ではありません",
            "the client certificate is not the one bound to this account",
            account=account,
        )
    try:
        address = ipaddress.ip_address(client_ip(request))
        allowed = any(address in net for net in account.networks())
    except ValueError:
        allowed = False
    if not allowed:
        raise _deny(
            request,
            403,
            "address",
            "この接続元アドレスからの接続は許可されていません",
            "connections from this address are not allowed for this account",
            account=account,
        )
    now = timezone.now()
    if account.last_seen is None or now - account.last_seen > LAST_USED_RESOLUTION:
        BankAccount.objects.filter(pk=account.pk).update(last_seen=now)
        account.last_seen = now
    return account
