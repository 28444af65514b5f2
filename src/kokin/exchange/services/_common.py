"""What the operations on exchanged files share: a file as it arrived (:class:`Received`), the
permission check that logs a refusal, a lifecycle move, the log entry of one file in the actor's role
there, the locked row of a change, and when a file is due for erasure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from kokin.accounts.actors import role_on
from kokin.accounts.models import Business, User
from kokin.accounts.permissions import Action, can
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.exchange import states
from kokin.exchange.errors import ExchangeError
from kokin.exchange.intake import Taken
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.states import State
from kokin.scanning.clamd import ScanOutcome

DENIED_JA = "この操作の権限がありません"
DENIED_EN = "you are not allowed to do this"


@dataclass(frozen=True)
class Received:
    """A file as it arrived, with its size and SHA-256: on disk (``path``), or taken in while it
    arrived (``taken``: checked and encrypted already, no plaintext on disk, see
    :mod:`kokin.exchange.intake`) — or both (the bank link keeps a plaintext copy for matching)."""

    path: Path | None
    name: str
    size: int
    sha256: str
    taken: Taken | None = None
    #: what the malware scan found while the file arrived, when it arrived some other way than ``taken``
    scanned: ScanOutcome | None = None

    @classmethod
    def of(cls, taken: Taken, name: str, path: Path | None = None) -> Received:
        return cls(path=path, name=name, size=taken.size, sha256=taken.sha256, taken=taken)


def require(actor: Actor, action: Action, business: Business, *, log: str, obj: str) -> User:
    """The operator's account if ``actor`` may do ``action`` on ``business``; otherwise the refusal is
    logged and :class:`PermissionDenied` raised (an actor with no account, a command or the bank, may not)."""
    if isinstance(actor.user, User) and can(actor.user, action, business):
        return actor.user
    record(
        action=log,
        actor=actor,
        role=role_on(actor, business),
        object=obj,
        outcome="denied",
        detail={"needs": action.value},
    )
    raise PermissionDenied(f"{DENIED_JA} / {DENIED_EN}")


def _refuse(exc: ExchangeError, *, log: str, actor: Actor, file: ExchangeFile) -> None:
    record(
        action=log,
        actor=actor,
        role=role_on(actor, file.data_kind.business),
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


def log_file(action: str, file: ExchangeFile, *, actor: Actor, **extra: Any) -> None:
    """The operation-log entry of an operation on one file: its id, its SHA-256, the actor's role there."""
    record(
        action=action,
        actor=actor,
        role=role_on(actor, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        **extra,
    )


def locked_row(file: ExchangeFile) -> ExchangeFile:
    return ExchangeFile.objects.select_for_update().get(pk=file.pk)


@contextmanager
def changing(file: ExchangeFile, *, log: str, actor: Actor) -> Iterator[ExchangeFile]:
    """The file's row, locked for a change in one transaction. A refusal (:class:`ExchangeError`, e.g.
    an illegal transition) rolls the change back, is logged and raised; ``file`` is refreshed either way."""
    try:
        with transaction.atomic():
            yield locked_row(file)
    except ExchangeError as exc:
        file.refresh_from_db()
        _refuse(exc, log=log, actor=actor, file=file)
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
