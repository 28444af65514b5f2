"""The auditor's search page over the operation log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kokin.accounts.permissions import Action, can
from kokin.audit.models import AuditEntry


def search(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Action.READ_AUDIT):  # type: ignore[arg-type]
        raise PermissionDenied
    entries = AuditEntry.objects.order_by("-seq")[:200]
    return render(request, "audit/search.html", {"entries": entries})
