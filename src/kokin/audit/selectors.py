"""Reading the operation log: the auditor's filters, shared by the search page and the CSV export."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from kokin.audit.models import AuditEntry


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the hub's time zone (Asia/Tokyo)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def entries(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    actor: str = "",
    action: str = "",
    outcome: str = "",
    object_contains: str = "",
) -> QuerySet[AuditEntry]:
    """Entries from the start of ``since`` to the end of ``until`` (both days included, local time),
    of one actor, one action and one outcome, whose object contains ``object_contains``; oldest first.
    """
    rows = AuditEntry.objects.order_by("seq")
    if since is not None:
        rows = rows.filter(at__gte=day_start(since))
    if until is not None:
        rows = rows.filter(at__lt=day_start(until + dt.timedelta(days=1)))
    if actor:
        rows = rows.filter(actor=actor)
    if action:
        rows = rows.filter(action=action)
    if outcome:
        rows = rows.filter(outcome=outcome)
    if object_contains:
        rows = rows.filter(object__icontains=object_contains)
    return rows
