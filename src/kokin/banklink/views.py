"""転送履歴 page: the bank link's transfer history for the system administrator and the auditor."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kokin.accounts.actors import actor_of
from kokin.accounts.models import User
from kokin.audit.services import mark_recorded, record
from kokin.banklink.models import BankAccount, BankTransfer

PAGE_SIZE = 100


def may_see(user: object) -> bool:
    """Who watches the link: the system administrator (runs it) and the auditor (checks it)."""
    return isinstance(user, User) and user.is_active and (user.is_system_admin or user.is_auditor)


@require_safe
def history(request: HttpRequest) -> HttpResponse:
    if not may_see(request.user):
        raise PermissionDenied("転送履歴を閲覧する権限がありません / you may not see the transfer history")
    rows = BankTransfer.objects.select_related("account", "file").order_by("-finished", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    record(
        action="banklink_history",
        actor=actor_of(request),
        object=request.get_full_path(),
        detail={"rows": len(page.object_list), "page": page.number},
    )
    mark_recorded(request)
    accounts = BankAccount.objects.order_by("name")
    return render(request, "banklink/history.html", {"page": page, "accounts": accounts})
