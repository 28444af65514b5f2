"""What the operations on exchanged files share: the actor's role for the log, the permission check
that logs a refusal, a lifecycle move, the log entry of one file, the locked row of a change, and
when a file is due for erasure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from kokin.accounts.models import Business, Role, RoleAssignment, User
from kokin.accounts.permissions import Action, can
from kokin.audit.services import COMMAND_ROLE, hub_role, record
from kokin.exchange import states
from kokin.exchange.errors import ExchangeError
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.states import State

BANK_ROLE = "金融機関"
DENIED_JA = "この操作の権限がありません"
DENIED_EN = "you are not allowed to do this"


def role_on(user: Any, business: Business | None) -> str:
    """The user's roles on ``business`` for the log (閲覧・取得 …), or the hub-wide role."""
    if isinstance(user, User) and business is not None:
        codes = RoleAssignment.objects.filter(user=user, business=business).values_list("role", flat=True)
        labels = "・".join(Role(r).label for r in sorted(codes))
        if labels:
            return labels
    if isinstance(user, User):
        return hub_role(user)
    # a bank system account of the bank link names itself "bank:<name>" (kokin.banklink)
    return BANK_ROLE if str(user).startswith("bank:") else COMMAND_ROLE


def name_of(actor: Any) -> str:
    return str(actor.username) if isinstance(actor, User) else str(actor)


def require(user: User, action: Action, business: Business, *, log: str, obj: str, request: HttpRequest | None) -> None:
    if can(user, action, business):
        return
    record(
        action=log,
        request=request,
        actor=user,
        role=role_on(user, business),
        object=obj,
        outcome="denied",
        detail={"needs": action.value},
    )
    raise PermissionDenied(f"{DENIED_JA} / {DENIED_EN}")


def _refuse(exc: ExchangeError, *, log: str, user: Any, file: ExchangeFile, request: HttpRequest | None) -> None:
    record(
        action=log,
        request=request,
        actor=user,
        role=role_on(user, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        outcome="denied",
        detail={"reason": exc.message_en, "state": file.state},
    )
    raise exc


def move(file: ExchangeFile, target: State, *, by: str, at: dt.datetime, **extra: Any) -> None:
    states.check(file.state, target)
    file.state = target
    file.note(target, at, by, **extra)


def log_file(action: str, file: ExchangeFile, *, actor: Any, request: HttpRequest | None, **extra: Any) -> None:
    """The operation-log entry of an operation on one file: its id, its SHA-256, the actor's role there."""
    record(
        action=action,
        request=request,
        actor=actor,
        role=role_on(actor, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        **extra,
    )


def locked_row(file: ExchangeFile) -> ExchangeFile:
    return ExchangeFile.objects.select_for_update().get(pk=file.pk)


@contextmanager
def changing(file: ExchangeFile, *, log: str, user: Any, request: HttpRequest | None) -> Iterator[ExchangeFile]:
    """The file's row, locked for a change in one transaction. A refusal (:class:`ExchangeError`, e.g.
    an illegal transition) rolls the change back, is logged and raised; ``file`` is refreshed either way."""
    try:
        with transaction.atomic():
            yield locked_row(file)
    except ExchangeError as exc:
        file.refresh_from_db()
        _refuse(exc, log=log, user=user, file=file, request=request)
    file.refresh_from_db()


def retention(file: ExchangeFile, policy: ExchangePolicy) -> tuple[dt.datetime, str]:
    """When the file is to be erased, and why (Japanese): N days after its job is done (inspected;
    for a file sent to the bank: collected or withdrawn), at the latest M days after receipt."""
    latest = file.received_at + dt.timedelta(days=policy.retention_max_days)
    reason = f"受信後の最長保存期間 ({policy.retention_max_days} 日) の経過"
    if file.state in states.DONE:
        at, what = {
            State.INSPECTED: (file.inspected_at, "検収"),
            State.COLLECTED: (file.collected_at, "金融機関の取得"),
            State.WITHDRAWN: (file.withdrawn_at, "取下げ"),
        }[State(file.state)]
        if at is not None:
            after = at + dt.timedelta(days=policy.retention_days_after_inspection)
            if after < latest:
                return after, f"{what}後の保存期間 ({policy.retention_days_after_inspection} 日) の経過"
    return latest, reason


def set_due(file: ExchangeFile) -> None:
    file.retention_due = retention(file, ExchangePolicy.for_business(file.data_kind.business))[0]
