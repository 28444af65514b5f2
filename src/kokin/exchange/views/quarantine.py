"""The quarantine (隔離) page: every file a malware scan found, with the signature, for the system
administrator and the auditor (those who see incidents). Only what the scan and the intake recorded is
shown — business, data kind, name, size, SHA-256, who sent it, the signature and its incident — never
the file's content: a quarantined file cannot be downloaded by anyone."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kokin.accounts.permissions import Action, can
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.exchange.views._common import PAGE_SIZE, user_of
from kokin.incidents.models import Incident


@require_safe
@login_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    if not can(user_of(request), Action.VIEW_INCIDENTS):
        raise PermissionDenied
    files = ExchangeFile.objects.filter(state=State.QUARANTINED).select_related("data_kind__business__department")
    page = Paginator(files.order_by("-received_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    subjects = [f"file:{f.id}" for f in page.object_list]
    numbers = dict(
        Incident.objects.filter(rule="malware", subject__in=subjects)
        .values_list("subject", "number")
        .order_by("number")
    )
    rows = [
        {"file": f, "signature": f.summary.get("malware", ""), "incident": numbers.get(f"file:{f.id}")}
        for f in page.object_list
    ]
    return render(request, "exchange/quarantine.html", {"page": page, "rows": rows})
