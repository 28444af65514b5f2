"""Bearer-token authentication for the API: ``Authorization: Bearer kk_<prefix>_<secret>``.

The API accepts tokens only (no session cookie), so it needs no CSRF token. The operator's terminal
rule (department IP ranges, bound client certificate) applies to API calls as it does to pages.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from kokin.accounts.models import User
from kokin.accounts.network import terminal_allowed
from kokin.api import services


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = services.authenticate(token)
        if found is None or not terminal_allowed(found.user, request):
            services.record_auth_failure(request, token)
            return None
        request.user = found.user
        return found.user


def api_user(request: HttpRequest) -> User:
    """The user the request's token belongs to (set by :class:`TokenAuth`)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
