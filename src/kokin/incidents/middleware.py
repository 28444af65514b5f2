"""The login defender's ban, enforced before a login step is checked (:class:`DefenderMiddleware`).

While an account or a client address is banned (:func:`kokin.incidents.detection.banned`), a password
or second-factor attempt from it is refused without looking at what was sent, answered 403 (the page
or, for the security-key calls, JSON) and logged as ``defender_refused``; it is not scored again.
The middleware sits after the CSRF check and the authentication middleware in ``MIDDLEWARE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from kokin.accounts.actors import actor_of
from kokin.accounts.network import client_ip
from kokin.audit.services import mark_recorded, record
from kokin.incidents import detection

#: the login steps (URL names) a ban refuses, and whether they answer JSON
STEPS = {
    "accounts:login": False,
    "accounts:verify": False,
    "accounts:webauthn_authenticate_begin": True,
    "accounts:webauthn_authenticate_complete": True,
}


class DefenderMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in STEPS:
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            account = user.get_username()
        else:
            account = str(request.POST.get("username", ""))[:150]
        address = client_ip(request)
        ban = detection.banned(account=account, address=address)
        if ban is None:
            return None
        kind, _, who = ban.key.partition(":")
        record(
            action="defender_refused",
            actor=actor_of(request, name=account) if account else actor_of(request),
            object=f"user:{account}" if account else f"address:{address}",
            outcome="denied",
            detail={"ban": ban.key, "until": ban.until.isoformat(), "step": match.view_name},
        )
        mark_recorded(request)
        what = "このアカウントへのログイン" if kind == "account" else f"接続元 {who} からのログイン"
        if STEPS[match.view_name]:
            return JsonResponse(
                {
                    "error": f"ログインの失敗が続いたため、{what}を一時停止しています。",
                    "error_en": "Logins are suspended for a while after repeated failures.",
                    "until": ban.until.isoformat(),
                },
                status=403,
            )
        until = timezone.localtime(ban.until)
        return render(request, "incidents/banned.html", {"what": what, "until": until}, status=403)
