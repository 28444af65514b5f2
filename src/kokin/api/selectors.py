"""Reads for the API. Permission is decided only by :mod:`kokin.accounts.permissions`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from kokin.accounts.models import Business, DataKind, RoleAssignment, User
from kokin.accounts.permissions import BUSINESS_ACTIONS, Action, businesses_for
from kokin.audit.models import AuditEntry


@dataclass(frozen=True)
class VisibleBusiness:
    business: Business
    actions: list[Action]


def visible_businesses(user: User) -> list[VisibleBusiness]:
    """Every business where ``user`` may do anything, with the actions allowed there."""
    found: dict[int, VisibleBusiness] = {}
    for action in Action:
        if action not in BUSINESS_ACTIONS:
            continue
        for business in businesses_for(user, action):
            found.setdefault(business.pk, VisibleBusiness(business, [])).actions.append(action)
    return sorted(found.values(), key=lambda v: (v.business.department.code, v.business.code))


def business_by_code(code: str) -> Business | None:
    return Business.objects.select_related("department").filter(code=code).first()


def data_kinds_of(business: Business) -> QuerySet[DataKind]:
    return business.data_kinds.order_by("direction", "format", "label", "pk")


def role_assignments(user: User) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("business__department")
        .order_by("business__department__code", "business__code", "role")
    )


def audit_entries(
    *, since: datetime | None = None, until: datetime | None = None, actor: str = "", action: str = ""
) -> QuerySet[AuditEntry]:
    """Operation-log entries in ``[since, until)``, optionally of one actor and one action, oldest first."""
    entries = AuditEntry.objects.order_by("seq")
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    if actor:
        entries = entries.filter(actor=actor)
    if action:
        entries = entries.filter(action=action)
    return entries
