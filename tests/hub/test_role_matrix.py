"""Every endpoint × every role: generated from the role × action table, not written by hand.

Each entry of :data:`support.endpoints.ENDPOINTS` is called as each demo role of 税務課, the system
administrator, the auditor, anonymous, and an operator of another business (国保). Whether the call
must be allowed is computed from :data:`kokin.accounts.permissions.ROLE_ACTIONS` and the demo
operators' role assignments (:data:`kokin.demo.ward.OPERATORS`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kokin.accounts.models import Role, User
from kokin.accounts.permissions import ROLE_ACTIONS, Action, markdown_table
from kokin.api.services import create_token
from kokin.demo import ward as demo
from support.endpoints import Access, Endpoint, excluded, registry

ANONYMOUS = "anonymous"
OTHER_BUSINESS = "kokuho-send"  # an operator of 国保年金課, calling 税務課's businesses
PRINCIPALS = [
    "zeimu-view",
    "zeimu-get",
    "zeimu-send",
    "zeimu-approve",
    "zeimu-manage",
    "sysadmin",
    "auditor",
    OTHER_BUSINESS,
    ANONYMOUS,
]
#: the businesses a business-scoped endpoint is called on
TARGETS = ["zeimu-furikae", "zeimu-shuno"]
OPERATORS = {op[0]: op for op in demo.OPERATORS}


def granted(username: str, business: str | None) -> set[Action]:
    """What the role table grants ``username`` (on ``business``, or on any business when ``None``)."""
    if username == ANONYMOUS:
        return set()
    _, _, _, roles, is_admin, is_auditor = OPERATORS[username]
    codes = [business] if business else list(roles)
    actions: set[Action] = set()
    for code in codes:
        for role in roles.get(code, []):
            actions |= ROLE_ACTIONS[role]
    if is_admin:
        actions |= ROLE_ACTIONS["system_admin"]
    if is_auditor:
        actions |= ROLE_ACTIONS["auditor"]
    return actions


def expected_allowed(endpoint: Endpoint, username: str, business: str | None) -> bool:
    if endpoint.needs == Access.PUBLIC:
        return True
    if username == ANONYMOUS:
        return False
    if endpoint.needs == Access.AUTHENTICATED:
        return True
    return endpoint.needs in granted(username, business)


def cases() -> Iterator[Any]:
    for endpoint in registry():
        for username in PRINCIPALS:
            for business in TARGETS if endpoint.business_scoped else [None]:
                allowed = expected_allowed(endpoint, username, business)
                name = f"{endpoint.method} {endpoint.label(business)} as {username} → {'allow' if allowed else 'deny'}"
                yield pytest.param(endpoint, username, business, allowed, id=name)


def _to_login(response: HttpResponse) -> bool:
    return response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("endpoint", "username", "business", "allowed"), list(cases()))
def test_role_matrix(
    endpoint: Endpoint, username: str, business: str | None, allowed: bool, login_as: Callable[..., Client]
) -> None:
    headers: dict[str, str] = {}
    if username == ANONYMOUS:
        client = Client()
    elif endpoint.kind == "page":
        client = login_as(username)
    else:
        client = Client()
        _, token = create_token(user=User.objects.get(username=username), name="role matrix")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    response = client.generic(endpoint.method, endpoint.path(business), **headers)
    status = response.status_code
    if allowed:
        assert status == 200, f"expected allowed, got {status} {response.get('Location', '')}"
    elif endpoint.kind == "api":
        assert status == (401 if username == ANONYMOUS else 403), f"expected denied, got {status}"
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail.isascii() is False  # Japanese with the English
    else:
        # anonymous is sent to a login page; a logged-in user gets 403 (Django admin sends to its login)
        assert status == 403 or _to_login(response), f"expected denied, got {status} {response.get('Location', '')}"


def test_matrix_exercises_every_role_and_both_outcomes() -> None:
    roles_used = {role for name in PRINCIPALS if name in OPERATORS for rs in OPERATORS[name][3].values() for role in rs}
    assert roles_used >= set(Role.values)
    assert any(OPERATORS[n][4] for n in PRINCIPALS if n in OPERATORS)  # a system administrator
    assert any(OPERATORS[n][5] for n in PRINCIPALS if n in OPERATORS)  # an auditor
    assert not set(OPERATORS[OTHER_BUSINESS][3]) & set(TARGETS)
    outcomes = {(e.route, a) for e, _, _, a in (c.values for c in cases())}
    for endpoint in registry():
        if endpoint.needs != Access.PUBLIC:
            assert {(endpoint.route, True), (endpoint.route, False)} <= outcomes, endpoint.route


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def test_every_url_is_in_the_registry_or_excluded_with_a_reason() -> None:
    registered = {e.route for e in registry()}
    routes = set(_routes(get_resolver().url_patterns))
    missing = sorted(r for r in routes if r not in registered and excluded(r) is None)
    assert not missing, f"add these to support.endpoints.ENDPOINTS (or EXCLUDED, with the reason): {missing}"
    stale = sorted(registered - routes)
    assert not stale, f"registry entries with no URL pattern: {stale}"
    assert not [r for r in registered if excluded(r)], "an endpoint is both registered and excluded"


def test_docs_security_md_publishes_exactly_the_role_table() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    assert markdown_table() in text, "regenerate the table in docs/security.md from permissions.markdown_table()"
