"""The vault's operation-log helper: one entry per vault operation where an operator (an
:class:`~kokin.audit.actor.Actor`) is involved; shredding and master-key rotation pass ``always`` and
are logged even when the hub does them on its own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from kokin.audit.actor import Actor
from kokin.audit.services import record

#: who a vault operation that no one asked for is written as (a cleanup, a retention run): the hub
#: itself, with no role — as it always was
HUB = Actor(name="system")


def log_operation(
    *,
    action: str,
    actor: Actor | None,
    blob_id: UUID | str,
    sha256: str = "",
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    always: bool = False,
) -> None:
    """The entry of one vault operation, in the role ``actor`` carries; none without an actor unless
    ``always``."""
    if actor is None and not always:
        return
    record(
        action=action,
        actor=actor if actor is not None else HUB,
        object=f"blob:{blob_id}" if blob_id else "vault",
        sha256=sha256,
        outcome=outcome,
        detail=detail,
    )
