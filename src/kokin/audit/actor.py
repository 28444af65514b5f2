"""Who does an operation (操作者): one value, built where the operation comes in — a page or the API
(:func:`kokin.accounts.actors.actor_of`), the bank link, a ``kokin`` command (:meth:`Actor.command`)
or the hub itself (:meth:`Actor.system`) — and passed down to the services, which never see the HTTP
request. The operation log writes it as it is (:func:`kokin.audit.services.record`).
"""

from __future__ import annotations

import getpass
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

#: the role written for what a ``kokin`` command does (the operator is the operating-system account)
COMMAND_ROLE = "コマンド"
#: the role written for what the hub does on its own (retention, sweeps, rescans)
SYSTEM_ROLE = "システム"


@dataclass(frozen=True)
class Actor:
    """Who, in which role, from which department, address and client certificate.

    ``user`` is the operator's account when there is one (permission checks need it); a bank system
    account, a command, the hub itself and a failed login's tried ID have none. ``role`` is what the
    log writes; a service that acts on one business writes the actor's roles there instead
    (:func:`kokin.accounts.actors.role_on`).
    """

    name: str
    role: str = ""
    department: str = ""
    client_ip: str = ""
    cert_fingerprint: str = ""
    user: Any = field(default=None, compare=False, repr=False)

    def as_role(self, role: str) -> Actor:
        """The same actor, written in ``role``."""
        return replace(self, role=role)

    @classmethod
    def command(cls) -> Actor:
        """Whoever runs a ``kokin`` command: the operating-system account, marked as such."""
        try:
            name = f"os:{getpass.getuser()}"
        except (KeyError, OSError):  # no name for the uid (e.g. a bare container)
            name = "os:?"
        return cls(name=name, role=COMMAND_ROLE)

    @classmethod
    def system(cls) -> Actor:
        """The hub itself, for what no person asked for."""
        return cls(name="system", role=SYSTEM_ROLE)


#: who the request being served is, for entries written where no actor is passed (model signals);
#: set by :class:`kokin.accounts.middleware.ActorMiddleware`
current_actor: ContextVar[Actor | None] = ContextVar("kokin_current_actor", default=None)
