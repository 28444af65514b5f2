"""The pages that show: the list of files, a file's page, and the deletion certificates (list and
PDF)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kokin.accounts.actors import actor_of, role_on
from kokin.accounts.permissions import Action
from kokin.audit.services import mark_recorded, record
from kokin.exchange import failures, selectors
from kokin.exchange.forms import FilterForm
from kokin.exchange.models import ExchangeFile
from kokin.exchange.views._common import PAGE_SIZE, file_context, user_of

#: at most this many 振替不能 records on the page; the downloads have them all
FAILURES_SHOWN = 1000


@require_safe
@login_required
def file_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = FilterForm(
        request.GET or None,
        businesses=selectors.businesses_where(user, Action.VIEW_FILES),
        kinds=selectors.kinds_visible_to(user),
    )
    valid = form.is_valid() if form.is_bound else True
    files = selectors.files_visible_to(user, **(form.filters() if form.is_bound and valid else {}))
    page = Paginator(files if valid else files.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "uploadable": selectors.businesses_where(user, Action.UPLOAD_FILE),
    }
    return render(request, "exchange/list.html", context)


@require_safe
@login_required
def detail(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = user_of(request)
    file = selectors.file_for(user, file_id, Action.VIEW_FILES)
    context = file_context(user, file)
    if failures.has_failures(file):
        context |= _failures_shown(request, file)
    return render(request, "exchange/detail.html", context)


def _failures_shown(request: HttpRequest, file: ExchangeFile) -> dict[str, Any]:
    """The 振替不能の明細 of a debit result (payers' names and accounts): this read of personal data is
    logged as its own entry (``exchange_view_failures``, with how many records were shown)."""
    rows = list(failures.iter_failures(file))
    shown = rows[:FAILURES_SHOWN]
    actor = actor_of(request)
    record(
        action="exchange_view_failures",
        actor=actor,
        role=role_on(actor, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        detail={"records": len(shown), "failed": len(rows)},
    )
    mark_recorded(request)
    return {"failures": shown, "failures_total": len(rows)}


@require_safe
@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    certificates = selectors.certificates_visible_to(user_of(request))
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exchange/certificates.html", {"page": page})


@require_safe
@login_required
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    user = user_of(request)
    cert = selectors.certificate_for(user, number)
    actor = actor_of(request)
    record(
        action="exchange_certificate",
        actor=actor,
        role=role_on(actor, cert.business),
        object=f"certificate:{cert.number}",
        sha256=cert.pdf_sha256,
        detail={"file": str(cert.file_uid)},
    )
    mark_recorded(request)
    response = HttpResponse(bytes(cert.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="kokin-deletion-certificate-{cert.number}.pdf"'
    response["X-Kokin-SHA256"] = cert.pdf_sha256
    return response
