"""The :class:`~kokin.audit.actor.Actor` of an operator, built at the edge from the request, and the
role words the operation log writes — the one place they are made.

>>> from kokin.audit.actor import Actor
>>> bank_actor("demo-designated-bank").role
'金融機関'
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.http import HttpRequest

from kokin.accounts.models import Business, Role, RoleAssignment, User
from kokin.accounts.network import client_cert_fingerprint, client_ip
from kokin.audit.actor import Actor

#: the role written for a bank system account of the bank link
BANK_ROLE = "金融機関"
#: an operator who holds no hub-wide role (their roles are per business)
OPERATOR_ROLE = "操作担当者"
HUB_ROLES = (("is_system_admin", "システム管理者"), ("is_auditor", "監査者"))


def hub_role(user: Any) -> str:
    """The hub-wide role of ``user``: システム管理者, 監査者 or 操作担当者."""
    labels = [label for flag, label in HUB_ROLES if getattr(user, flag, False)]
    return "・".join(labels) or OPERATOR_ROLE


def role_labels(codes: list[str]) -> str:
    """Business role codes as the log writes them (閲覧・取得 …), in a fixed order."""
    return "・".join(Role(code).label for code in sorted(codes))


def roles_on(user: User, business: Business | int | str) -> str:
    """The user's roles on ``business`` (an object, its id or its code) as the log writes them, or ``""``."""
    where = {"business__code": business} if isinstance(business, str) else {"business": business}
    found = RoleAssignment.objects.filter(user=user, **where).values_list("role", flat=True)
    return role_labels(list(found))


def role_on(actor: Actor, business: Business | int | str | None) -> str:
    """What the log writes as ``actor``'s role for an operation on ``business`` (an object, its id or
    its code): an operator's roles there, else the role the actor came with (hub-wide, 金融機関, コマンド)."""
    if isinstance(actor.user, User) and business is not None:
        return roles_on(actor.user, business) or actor.role
    return actor.role


def _department(user: User) -> str:
    return user.department.name if user.department is not None else ""


def _where(request: HttpRequest) -> dict[str, str]:
    return {"client_ip": client_ip(request), "cert_fingerprint": client_cert_fingerprint(request)}


def actor_of(request: HttpRequest, user: Any = None, *, name: str | None = None) -> Actor:
    """The actor of a request: ``user`` (default: the request's), or for a login that named an ID but
    did not get in, that ``name`` alone (whoever the request's user is, e.g. at a re-authentication);
    with the request's address and client certificate."""
    if name is not None:
        return Actor(name=name, **_where(request))
    user = request.user if user is None and hasattr(request, "user") else user
    if isinstance(user, User) and user.is_authenticated:
        return replace(user_actor(user), **_where(request))
    return Actor(name="", **_where(request))


def user_actor(user: User) -> Actor:
    """The actor of an operator outside any request (a command acting for them, a test)."""
    return Actor(name=user.username, role=hub_role(user), department=_department(user), user=user)


def bank_actor(account_name: str, request: HttpRequest | None = None) -> Actor:
    """A bank system account of the bank link (``bank:<name>``), with the connection's address and
    certificate when there is a request."""
    return Actor(name=f"bank:{account_name}", role=BANK_ROLE, **(_where(request) if request is not None else {}))
