"""The home page: the operator's businesses, roles and (from the exchange) newly arrived files; for the
administrator and the auditor, a warning when the hub's storage space is short."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kokin.accounts import grants
from kokin.accounts.models import RoleAssignment
from kokin.accounts.permissions import Action, can
from kokin.exchange import malware, space
from kokin.exchange.selectors import new_inbound_for
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
    context = {
        "businesses": list(businesses.values()),
        "today": timezone.localdate(),
        "new_files": list(new_inbound_for(request.user)[:20]),  # type: ignore[arg-type]
        "may_approve_grants": can(request.user, Action.APPROVE_GRANTS),  # type: ignore[arg-type]
        # the hub's storage: the people who look after the hub see a shortage first
        "storage": space.warning() if (request.user.is_system_admin or request.user.is_auditor) else None,  # type: ignore[union-attr]
        # the malware scan (別紙3 第6条3): off, unreachable or an old signature database is shown first
        "scan": malware.status() if (request.user.is_system_admin or request.user.is_auditor) else None,  # type: ignore[union-attr]
    }
    if can(request.user, Action.VIEW_INCIDENTS):  # type: ignore[arg-type]
        context["open_incidents"] = incidents(state="open").count()
    if context["may_approve_grants"]:
        context["pending_grants"] = grants.pending_for(request.user).count()  # type: ignore[arg-type]
    return render(request, "kokin/home.html", context)
