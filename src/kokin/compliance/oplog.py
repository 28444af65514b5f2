"""Reading the operation log for a period: the entries of some actions, and the files they name.

The log names a file as ``file:<id>`` and a mailbox as ``mailbox:<business code>/<data kind id>``
(:mod:`kokin.exchange.services`); an object that is neither (a test's, an older entry's) is skipped,
never guessed at.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from kokin.audit.models import AuditEntry
from kokin.compliance.period import Period
from kokin.exchange.models import ExchangeFile


def entries(period: Period, actions: Iterable[str], *, outcome: str = "success") -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        action__in=list(actions), outcome=outcome, at__gte=period.since, at__lt=period.until
    ).order_by("seq")


def file_id(obj: str) -> uuid.UUID | None:
    """The file an entry's object names, or ``None``."""
    if not obj.startswith("file:"):
        return None
    try:
        return uuid.UUID(obj.removeprefix("file:"))
    except ValueError:
        return None


def mailbox(obj: str) -> tuple[str, int | None] | None:
    """(business code, data kind id or ``None``) of ``mailbox:<code>[/<id>]``, or ``None``."""
    if not obj.startswith("mailbox:"):
        return None
    code, _, kind = obj.removeprefix("mailbox:").partition("/")
    return code, int(kind) if kind.isdigit() else None


def kinds_of_files(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """File id → its data kind id, for the files that exist."""
    wanted = list(set(ids))
    found: dict[uuid.UUID, int] = {}
    for start in range(0, len(wanted), 1000):
        rows = ExchangeFile.objects.filter(pk__in=wanted[start : start + 1000]).values_list("id", "data_kind_id")
        found.update(rows)
    return found


def detail_value(entry_detail: Any, key: str) -> Any:
    return entry_detail.get(key) if isinstance(entry_detail, dict) else None
