"""Property-based tests of the API from its OpenAPI document (schemathesis): no input makes a 5xx,
and every answer matches the response schema the document declares.

The Django WSGI app runs in-process; each generated request is sent with an operator's token, with
the auditor's token and with none.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from kokin.accounts.models import User
from kokin.api.services import create_token


@pytest.fixture(autouse=True)
def keep_test_connection() -> Iterator[None]:
    """Requests go straight to the WSGI handler, which would close the test transaction's
    connection at the end of each request (PostgreSQL); Django's test client avoids it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(ward) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        name: create_token(user=User.objects.get(username=name), name="schemathesis")[1]
        for name in ("zeimu-send", "auditor")
    }


# serving the document touches no database, so it can be loaded when the module is collected
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_with_a_server_error(case: schemathesis.Case, tokens: dict[str, str]) -> None:
    for token in (*tokens.values(), None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])
