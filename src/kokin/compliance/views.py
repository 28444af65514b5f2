"""The compliance reports' page, for the system administrator and the auditor: the reports kept, a form
that makes one for a month or a period (POST), and each report's PDF (its download logged by the
service). Everyone else gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from kokin.accounts.actors import actor_of
from kokin.accounts.permissions import Action, can
from kokin.audit.services import mark_recorded
from kokin.compliance import selectors, services
from kokin.compliance.errors import PeriodError
from kokin.compliance.forms import ReportForm
from kokin.vault.errors import VaultError

PAGE_SIZE = 50


def _require(request: HttpRequest) -> None:
    if not can(request.user, Action.COMPLIANCE_REPORTS):  # type: ignore[arg-type]
        raise PermissionDenied


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.make(period=form.period, actor=actor_of(request))
        except PeriodError as exc:
            form.add_error(None, exc.message_ja)
        else:
            messages.success(request, f"遵守状況の報告を作成しました: {made.report.period.label}")
            return redirect("compliance:list")
    page = Paginator(selectors.reports(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "compliance/list.html", {"form": form, "page": page})


@require_safe
@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    report = selectors.report(pk)
    try:
        body = services.read_pdf(report=report, actor=actor_of(request))
    except VaultError as exc:
        mark_recorded(request)
        messages.error(request, f"報告 {report.pk} の PDF を読み出せません: {exc.message_ja}")
        return redirect("compliance:list")
    mark_recorded(request)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, report.file_name)
    response["Cache-Control"] = "no-store"
    return response
