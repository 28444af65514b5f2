"""The acknowledgement gate: an operator whose acknowledgement of the handling rules is missing or has
lapsed (:mod:`kokin.training.lapse`) reaches nothing but the acknowledgement page until they acknowledge.

In ``MIDDLEWARE`` it comes after the accounts middlewares, so it sees only a logged-in user past the
second factor and the password change (those steps stay reachable: they are how one gets here). It
looks at the resolved view (``process_view``); every other page answers 303 to the acknowledgement page,
which then sends the operator on to where they were going. The system administrator and the auditor
hold no business role and are not stopped.

The API authenticates its token in the view, so this middleware cannot know an API caller; the API's
token check asks :func:`kokin.training.selectors.must_acknowledge` itself and answers 403 with
:data:`API_MESSAGE` (the API sits above this app and may import it, not the other way round).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from kokin.accounts.services import is_verified
from kokin.audit.services import mark_recorded
from kokin.training.selectors import must_acknowledge

Handler = Callable[[HttpRequest], HttpResponse]

API_MESSAGE = (
    "取扱規程の確認が必要です。画面にログインして取扱規程を確認してください / "
    "You must acknowledge the handling rules first: log in to the web pages and acknowledge them"
)
#: never stopped: static files; the API answers for itself (above)
SKIP_PREFIXES = ("/static/", "/favicon.ico", "/api/")
#: the views a lapsed operator may still reach: the acknowledgement page, logout and the login steps
ALLOWED_VIEWS = frozenset(
    {
        "training:acknowledge",
        "accounts:logout",
        "accounts:login",
        "accounts:verify",
        "accounts:enrol",
        "accounts:locked",
        "accounts:reauth",
        "accounts:password_change",
        "accounts:enrolment",
        "accounts:webauthn_authenticate_begin",
        "accounts:webauthn_authenticate_complete",
    }
)


class AcknowledgementGateMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(SKIP_PREFIXES):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_VIEWS:
            return None
        if not is_verified(user) or not must_acknowledge(user):
            return None
        # a page not shown: the page-view log must not write it as seen
        mark_recorded(request)
        target = reverse("training:acknowledge")
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target, status=303)
