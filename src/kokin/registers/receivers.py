"""The model signals that may change a register, each answered by :func:`kokin.registers.services.refresh`
once the change is committed (connected in :meth:`kokin.registers.apps.RegistersConfig.ready`).

After the commit, so that the several saves of one operation (an account and its roles in one form,
the demo ward) make one version, and a change rolled back makes none. Refreshing compares the whole
register with its newest version, so a signal for a change the register does not show (a login, a
password) makes no version. A refresh that fails is logged and does not undo the committed change;
the next change (or ``kokin registers refresh``) makes the version then.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from kokin.accounts.models import Business, Department, RoleAssignment, Terminal, User
from kokin.registers.models import Kind, ResponsiblePerson

#: a save of only these user fields never changes the roster (logins, passwords, sessions)
QUIET_USER_FIELDS = frozenset({"last_login", "current_session_key", "password", "must_change_password"})

#: model → the registers that list something of it
WATCHED: dict[type[Model], tuple[str, ...]] = {
    RoleAssignment: (Kind.ROSTER,),
    User: (Kind.ROSTER,),
    Business: (Kind.ROSTER,),
    ResponsiblePerson: (Kind.ROSTER,),
    Department: (Kind.ROSTER, Kind.EQUIPMENT),
    Terminal: (Kind.EQUIPMENT,),
}


def _schedule(kinds: tuple[str, ...]) -> None:
    from kokin.registers.services import refresh

    for kind in kinds:
        transaction.on_commit(functools.partial(refresh, kind), robust=True)


def saved(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    update_fields = kwargs.get("update_fields")
    if sender is User and update_fields is not None and set(update_fields) <= QUIET_USER_FIELDS:
        return
    _schedule(WATCHED[sender])


def deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    _schedule(WATCHED[sender])


def connect() -> None:
    for model in WATCHED:
        uid = f"kokin.registers.{model._meta.label_lower}"
        post_save.connect(saved, sender=model, dispatch_uid=f"{uid}.post_save")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"{uid}.post_delete")
