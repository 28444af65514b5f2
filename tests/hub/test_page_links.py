"""The page links of the list pages (``kokin/_pages.html``): they keep the list's filters, leave out
what must not be repeated (the audit page's chain check), and each list of a two-list page has its own."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from kokin.audit.services import record
from kokin.incidents.services import raise_incident
from kokin.registers.models import Kind, RegisterVersion
from support.exchange import TEST_ACTOR

Login = Callable[[str], Client]


def links(response: object) -> list[str]:
    """The hrefs of the page links, unescaped."""
    text = response.content.decode()  # type: ignore[attr-defined]
    navs = re.findall(r'<nav class="pages".*?</nav>', text, re.S)
    return [html.unescape(h) for nav in navs for h in re.findall(r'href="([^"]*)"', nav)]


def test_the_incident_list_keeps_its_state_filter_across_pages(login_as: Login) -> None:
    for i in range(55):
        raise_incident(
            rule="test", severity="low", subject=f"s-{i}", title="テスト", summary="テスト", actor=TEST_ACTOR
        )
    client = login_as("auditor")
    first = client.get("/incidents/", {"state": "all"})
    assert links(first) == ["?state=all&page=2", "?state=all&page=2"]  # 次へ, 最後
    second = client.get("/incidents/", {"state": "all", "page": "2"})
    assert len(second.context["page"].object_list) == 5
    assert links(second) == ["?state=all&page=1", "?state=all&page=1"]  # 最初, 前へ


def test_the_audit_page_links_keep_the_filters_but_not_the_chain_check(login_as: Login) -> None:
    for i in range(105):
        record(action="test", actor=TEST_ACTOR, object=f"file:{i}")
    response = login_as("auditor").get("/audit/", {"action": "test", "verify": "1"})
    assert response.context["verification"] is not None
    assert links(response) == ["?action=test&page=2", "?action=test&page=2"]


def test_each_register_pages_on_its_own_and_keeps_the_others_page(login_as: Login) -> None:
    for kind in Kind:
        start = RegisterVersion.objects.filter(kind=kind).count()
        for number in range(start + 1, start + 61):
            RegisterVersion.objects.create(
                kind=kind, number=number, snapshot={}, sha256=f"{number:064x}", made_at=timezone.now()
            )
    client = login_as("sysadmin")
    response = client.get("/registers/", {"equipment_page": "2"})
    roster, equipment = (r["page"] for r in response.context["registers"])
    assert (roster.number, equipment.number) == (1, 2)
    assert "?equipment_page=2&roster_page=2" in links(response)
    assert "?equipment_page=1" in links(response)
    # the current version is marked on the first page whichever page the other register shows
    assert response.context["registers"][0]["current"].number == roster.object_list[0].number
    assert (
        response.context["registers"][1]["current"].number
        == RegisterVersion.objects.filter(kind=Kind.EQUIPMENT).order_by("-number").first().number
    )  # type: ignore[union-attr]
