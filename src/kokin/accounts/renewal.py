"""The idle timeout without a session write on every request.

Django's ``SESSION_SAVE_EVERY_REQUEST`` renews the session's expiry by rewriting its row on each request:
one database write per page, on the path of every operator. Here the session is renewed only when it is
older than ``SESSION_RENEW_SECONDS`` (a coarse "last seen" stamp kept in the session), or when the
request changed it anyway. The idle timeout (``KOKIN_IDLE_MINUTES``) then ends a session between
``IDLE - RENEW`` and ``IDLE`` after its last request, instead of exactly ``IDLE``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]

#: the session key of the time (epoch seconds) the session's expiry was last pushed forward
SESSION_RENEWED_AT = "kokin_renewed_at"


class SessionRenewalMiddleware:
    """After ``SessionMiddleware``: marks a session modified when its renewal is due."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = int(time.time())
        due = now - int(session.get(SESSION_RENEWED_AT, 0)) >= settings.SESSION_RENEW_SECONDS
        if due or session.modified:
            session[SESSION_RENEWED_AT] = now
        return response
