"""The home page, led by the user's roles: the sender's 「ファイルを送信」 per business and own files by
state, the approver's 承認待ち with what to check, the newly arrived files (新着), the 業務管理's operators
and roles; for the administrator and the auditor, a warning when the hub's storage space is short."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kokin.accounts import grants
from kokin.accounts import selectors as accounts
from kokin.accounts.models import RoleAssignment, User
from kokin.accounts.permissions import Action, can
from kokin.exchange import home as desk
from kokin.exchange import malware, space
from kokin.incidents.selectors import incidents


@login_required
def home(request: HttpRequest) -> HttpResponse:
    assignments = (
        RoleAssignment.objects.filter(user=request.user)  # type: ignore[misc]
        .select_related("business__department")
        .order_by("business__department__code", "business__code", "role")
    )
    businesses: dict[int, dict[str, object]] = {}
    for a in assignments:
        entry = businesses.setdefault(a.business_id, {"business": a.business, "roles": []})
        entry["roles"].append(a.get_role_display())  # type: ignore[attr-defined]
    user: User = request.user  # type: ignore[assignment]
    context = {
        "businesses": list(businesses.values()),
        "today": timezone.localdate(),
        "may_view": can(user, Action.VIEW_FILES),
        "arrivals": desk.arrivals_for(user),
        "sender": desk.sender_desk(user),
        "may_approve": can(user, Action.APPROVE_FILE),
        "awaiting": list(desk.awaiting_approval_for(user)[: desk.WAITING]),
        "awaiting_count": desk.awaiting_approval_for(user).count(),
        "managed": accounts.managed_by(user),
        "may_approve_grants": can(user, Action.APPROVE_GRANTS),
        # the hub's storage: the people who look after the hub see a shortage first
        "storage": space.warning() if (user.is_system_admin or user.is_auditor) else None,
        # the malware scan (別紙3 第6条3): off, unreachable or an old signature database is shown first
        "scan": malware.status() if (user.is_system_admin or user.is_auditor) else None,
    }
    if can(request.user, Action.VIEW_INCIDENTS):  # type: ignore[arg-type]
        context["open_incidents"] = incidents(state="open").count()
    if context["may_approve_grants"]:
        context["pending_grants"] = grants.pending_for(request.user).count()  # type: ignore[arg-type]
    return render(request, "kokin/home.html", context)
