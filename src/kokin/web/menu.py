"""The header menu: a link to each page the user's roles reach (ホーム, ファイル一覧, 送信, 承認待ち, 新着,
役割付与の申請), decided by :mod:`kokin.accounts.permissions` from one read of the user's roles. The
administrator's and auditor's links stay in the base template as they were."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from kokin.accounts.models import RoleAssignment, User
from kokin.accounts.permissions import ROLE_ACTIONS, Action


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _list(**filters: str) -> str:
    return reverse("exchange:list") + "?" + urlencode(filters)


def links_for(user: User) -> list[Link]:
    """The menu of ``user`` (signed in and past the second factor)."""
    links = [Link("ホーム", reverse("home"))]
    if user.is_system_admin or user.is_auditor:  # no business action, whatever rows exist (permissions.can)
        roles: list[tuple[str, str]] = []
    else:
        roles = list(RoleAssignment.objects.filter(user=user).values_list("role", "business__code"))
    actions: set[Action] = set().union(*(ROLE_ACTIONS[role] for role, _ in roles))
    if Action.VIEW_FILES in actions:
        links.append(Link("ファイル一覧", reverse("exchange:list")))
    senders = sorted({code for role, code in roles if Action.UPLOAD_FILE in ROLE_ACTIONS[role]})
    if len(senders) == 1:
        links.append(Link("送信", reverse("exchange:upload", args=[senders[0]])))
    elif senders:
        links.append(Link("送信", reverse("home") + "#send"))
    if Action.APPROVE_FILE in actions:
        links.append(Link("承認待ち", _list(state="awaiting_approval", direction="outbound")))
    if Action.DOWNLOAD_FILE in actions:
        links.append(Link("新着", _list(state="available", direction="inbound")))
    if Action.APPROVE_GRANTS in actions or user.is_system_admin:
        links.append(Link("役割付与の申請", reverse("accounts:grants")))
    return links
