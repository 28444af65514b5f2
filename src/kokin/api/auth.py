"""Bearer-token authentication for the API: ``Authorization: Bearer kk_<prefix>_<secret>``; the
caller as an :class:`~kokin.audit.actor.Actor` (:func:`api_actor`) and the refusal of a call it may
not make (:func:`deny`).

The API accepts tokens only (no session cookie), so it needs no CSRF token. The operator's terminal
rule (department IP ranges, bound client certificate) applies to API calls as it does to pages, and so
does the acknowledgement of the handling rules: an operator whose acknowledgement is missing or has
lapsed gets 403 with :data:`kokin.training.gate.API_MESSAGE` (the page gate cannot see a token).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from kokin.accounts.actors import actor_of
from kokin.accounts.models import Business, User
from kokin.accounts.network import terminal_allowed
from kokin.api import services
from kokin.audit.actor import Actor
from kokin.training.gate import API_MESSAGE
from kokin.training.selectors import must_acknowledge

DENIED = "この操作の権限がありません / You are not allowed to do this"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = services.authenticate(token)
        if found is None or not terminal_allowed(found.user, request):
            services.record_auth_failure(request, token)
            return None
        request.user = found.user
        if must_acknowledge(found.user):
            services.record_api_call(
                request, actor_of(request, found.user), outcome="denied", detail={"reason": "acknowledgement_lapsed"}
            )
            raise HttpError(403, API_MESSAGE)
        return found.user


def api_user(request: HttpRequest) -> User:
    """The user the request's token belongs to (set by :class:`TokenAuth`)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def api_actor(request: HttpRequest) -> Actor:
    """Who makes the call: the token's user, from the request's address and client certificate."""
    return actor_of(request, api_user(request))


def deny(request: HttpRequest, actor: Actor, business: Business | None = None) -> HttpError:
    """403 for a call ``actor`` may not make (on ``business``), logged as a denied ``api_view``."""
    services.record_api_call(request, actor, business=business, outcome="denied")
    return HttpError(403, DENIED)
