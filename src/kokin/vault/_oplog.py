"""The vault's operation-log helper: one entry per vault operation where an operator
(``request``/``actor``) is involved; shredding and master-key rotation pass ``always`` and are
logged even when the system does them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest

from kokin.audit.services import record


def log_operation(
    *,
    action: str,
    request: HttpRequest | None,
    actor: Any,
    role: str,
    blob_id: UUID | str,
    sha256: str = "",
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    always: bool = False,
) -> None:
    if request is None and actor is None and not always:
        return
    record(
        action=action,
        request=request,
        actor=actor if actor is not None or request is not None else "system",
        role=role,
        object=f"blob:{blob_id}" if blob_id else "vault",
        sha256=sha256,
        outcome=outcome,
        detail=detail,
    )
