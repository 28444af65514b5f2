"""The approver's screen for role grant requests (役割付与の申請): list, approve, refuse.

Open to whoever may decide some request (:data:`Action.APPROVE_GRANTS`: a business's 業務管理 or a
system administrator), past the second factor; the list shows only the requests the caller may
decide. The rules and the log are in :mod:`kokin.accounts.grants`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kokin.accounts import grants
from kokin.accounts.actors import actor_of
from kokin.accounts.models import User
from kokin.accounts.permissions import Action, can
from kokin.accounts.views import verified_required


def _approver(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not can(user, Action.APPROVE_GRANTS):
        raise PermissionDenied("役割付与の申請を決定できるのは業務管理者とシステム管理者だけです。")
    return user


@verified_required
def pending_view(request: HttpRequest) -> HttpResponse:
    approver = _approver(request)
    context = {"pending": list(grants.pending_for(approver)), "mine": list(grants.requested_by(approver))}
    return render(request, "accounts/grants.html", context)


@require_POST
@verified_required
def decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    _approver(request)
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, "承認か却下を選んでください。")
        return redirect("accounts:grants")
    try:
        grant = grants.decide(actor=actor_of(request), grant_id=pk, approve=decision == "approve")
    except PermissionDenied as exc:
        return render(request, "accounts/grants.html", {"pending": [], "refusal": str(exc)}, status=403)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:grants")
    done = "承認しました。役割が有効になりました" if decision == "approve" else "却下しました"
    messages.success(request, f"{grant.user} の「{grant.business} {grant.get_role_display()}」の申請を{done}。")
    return redirect("accounts:grants")
