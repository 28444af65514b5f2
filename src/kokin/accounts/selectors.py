"""Reads of accounts for the pages: the operators and roles of the businesses a 業務管理 manages."""

from __future__ import annotations

from dataclasses import dataclass, field

from kokin.accounts.models import Business, Role, RoleAssignment, User
from kokin.accounts.permissions import Action, businesses_for


@dataclass
class Operator:
    user: User
    roles: list[str] = field(default_factory=list)  # the roles' Japanese names, in the table's order


@dataclass
class ManagedBusiness:
    business: Business
    operators: list[Operator]


def managed_by(user: User) -> list[ManagedBusiness]:
    """Each business where ``user`` is 業務管理, with its operators (active or not) and their roles."""
    businesses = list(businesses_for(user, Action.MANAGE_OPERATORS).order_by("department__code", "code"))
    assignments = (
        RoleAssignment.objects.filter(business__in=businesses).select_related("user").order_by("user__username")
    )
    order = list(Role.values)
    operators: dict[int, dict[int, Operator]] = {b.pk: {} for b in businesses}
    for a in sorted(assignments, key=lambda a: order.index(a.role)):
        entry = operators[a.business_id].setdefault(a.user_id, Operator(a.user))
        entry.roles.append(Role(a.role).label)
    return [ManagedBusiness(b, sorted(operators[b.pk].values(), key=lambda o: o.user.username)) for b in businesses]
