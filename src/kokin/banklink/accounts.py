"""Bank system accounts (docs/banklink.md): creating one (client certificate,
token, allowed addresses), the businesses and transfer IDs it serves (its scope), revoking it.
Each change is logged in the operation log as its ``actor`` (whoever runs the ``kokin banklink``
command, :meth:`~kokin.audit.actor.Actor.command`)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, parse_networks
from kokin.accounts.tokens import TokenScheme
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.banklink import selectors
from kokin.banklink.models import BankAccount

TOKEN_PREFIX = "kb"
SCHEME = TokenScheme(TOKEN_PREFIX)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class NewAccount:
    account: BankAccount
    token: str
    cert: Path
    key: Path
    token_path: Path


@dataclass(frozen=True)
class Scope:
    """What an account serves: businesses (every mailbox of each) and single mailboxes by transfer ID."""

    businesses: list[Business]
    kinds: list[DataKind]

    @property
    def empty(self) -> bool:
        return not self.businesses and not self.kinds

    def detail(self) -> dict[str, list[str]]:
        return {
            "businesses": sorted(b.code for b in self.businesses),
            "transfer_ids": sorted(k.transfer_id or "" for k in self.kinds),
        }


def resolve_scope(*, businesses: Sequence[str] = (), transfer_ids: Sequence[str] = ()) -> Scope:
    """Business codes and transfer IDs → a :class:`Scope`; ``ValueError`` (bilingual) naming what is unknown."""
    codes, ids = sorted(set(businesses)), sorted(set(transfer_ids))
    found = list(Business.objects.filter(code__in=codes).order_by("code"))
    missing = sorted(set(codes) - {b.code for b in found})
    if missing:
        raise ValueError(f"業務 {', '.join(missing)} はありません / no business {', '.join(missing)}")
    kinds = list(DataKind.objects.filter(transfer_id__in=ids).order_by("transfer_id"))
    missing = sorted(set(ids) - {k.transfer_id for k in kinds})
    if missing:
        raise ValueError(f"転送ファイルID {', '.join(missing)} はありません / no transfer ID {', '.join(missing)}")
    return Scope(found, kinds)


def create_account(
    *,
    name: str,
    networks: str,
    folder: Path,
    actor: Actor,
    businesses: Sequence[str] = (),
    transfer_ids: Sequence[str] = (),
) -> NewAccount:
    """A bank system account: a client certificate from the hub's CA (bound by its fingerprint), a token
    (only its prefix and the secret's SHA-256 are kept) written to ``folder/token`` with mode 0600, and
    the businesses and transfer IDs it serves (none: it serves nothing until :func:`set_scope`)."""
    from kokin.accounts.pki import issue_client_cert

    if not _NAME.match(name):
        raise ValueError(
            "名前は英数字・.・_・- で 100 文字までです / the name is letters, digits, '.', '_', '-' (at most 100)"
        )
    try:
        networks_given = parse_networks(networks)
    except ValueError as exc:
        raise ValueError(f"アドレス範囲が正しくありません / not a CIDR range: {exc}") from exc
    if not networks_given:
        raise ValueError("接続を許可するアドレス範囲を指定してください / give at least one CIDR range")
    if BankAccount.objects.filter(name=name).exists():
        raise ValueError(f"{name} は既にあります / an account named {name} exists already")
    scope = resolve_scope(businesses=businesses, transfer_ids=transfer_ids)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert, key, fingerprint = issue_client_cert(name, folder)
    new = SCHEME.issue()
    prefix, token = new.prefix, new.text
    with transaction.atomic():
        account = BankAccount.objects.create(
            name=name,
            cert_fingerprint=fingerprint,
            token_prefix=prefix,
            token_sha256=new.digest,
            allowed_networks=",".join(str(r) for r in networks_given),
        )
        account.businesses.set(scope.businesses)
        account.data_kinds.set(scope.kinds)
        record(
            action="banklink_account_create",
            actor=actor,
            object=f"bank:{name}",
            detail={
                "token_prefix": prefix,
                "cert_fingerprint": fingerprint,
                "networks": account.allowed_networks,
                **scope.detail(),
            },
        )
    token_path = folder / "token"
    fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    os.chmod(token_path, 0o600)  # an existing file keeps its mode through O_TRUNC
    return NewAccount(account, token, cert, key, token_path)


def set_scope(*, name: str, scope: Scope, actor: Actor) -> BankAccount | None:
    """Replace what the account serves (the businesses and transfer IDs); ``None`` if unknown. Logged
    with the scope before and after."""
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().filter(name=name).first()
        if account is None:
            return None
        before_businesses, before_ids = selectors.scope_of(account)
        account.businesses.set(scope.businesses)
        account.data_kinds.set(scope.kinds)
        record(
            action="banklink_account_scope",
            actor=actor,
            object=f"bank:{name}",
            detail={**scope.detail(), "before": {"businesses": before_businesses, "transfer_ids": before_ids}},
        )
    return account


def revoke_account(*, name: str, actor: Actor) -> BankAccount | None:
    """Stop an account for good (its certificate and token no longer open anything); ``None`` if unknown."""
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().filter(name=name).first()
        if account is None:
            return None
        if account.active:
            account.active = False
            account.revoked_at = timezone.now()
            account.save(update_fields=["active", "revoked_at"])
            record(
                action="banklink_account_revoke",
                actor=actor,
                object=f"bank:{name}",
                detail={"token_prefix": account.token_prefix},
            )
    return account
