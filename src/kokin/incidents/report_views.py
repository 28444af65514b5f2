"""The 漏えい等報告 draft of an incident that may involve personal data: the page (the latest version or
an older one with ``?version=N``; the administrator saves the next version with POST), and its PDF and
plain-text forms. Each export is logged with the SHA-256 of what was handed out."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from kokin.accounts.actors import actor_of
from kokin.accounts.permissions import Action, can
from kokin.audit.services import mark_recorded, record
from kokin.incidents import report, report_pdf, selectors, services
from kokin.incidents.errors import IncidentError
from kokin.incidents.forms import ReportForm
from kokin.incidents.models import Incident, ReportVersion
from kokin.incidents.views import require


def _incident(request: HttpRequest, number: int) -> Incident:
    require(request, Action.VIEW_INCIDENTS)
    incident = selectors.incident(number)
    if not incident.may_involve_personal_data:
        raise Http404("no personal data: no report")
    return incident


def _version(request: HttpRequest, incident: Incident) -> ReportVersion | None:
    """The version asked for (``?version=N``), else the latest; ``None`` before the first is saved."""
    asked = request.GET.get("version", "")
    if not asked:
        return selectors.latest_report(incident)
    found = incident.reports.filter(version=int(asked)).first() if asked.isdigit() else None
    if found is None:
        raise Http404("no such version")
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def report_page(request: HttpRequest, number: int) -> HttpResponse:
    incident = _incident(request, number)
    may_edit = can(request.user, Action.HANDLE_INCIDENTS)  # type: ignore[arg-type]
    if request.method == "POST":
        require(request, Action.HANDLE_INCIDENTS)
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_report(
                    incident=incident,
                    content=form.content(),
                    malicious=form.cleaned_data["malicious"],
                    actor=actor_of(request),
                )
            except IncidentError as exc:
                form.add_error(None, exc.message_ja)
            else:
                messages.success(request, f"漏えい等報告の案を第 {saved.version} 版として保存しました。")
                return redirect("incidents:report", number=number)
        shown = selectors.latest_report(incident)
    else:
        shown = _version(request, incident)
        content, malicious = (shown.content, shown.malicious) if shown else (report.draft(incident), False)
        form = ReportForm(initial={**content, "malicious": malicious})
    context = {
        "incident": incident,
        "form": form,
        "may_edit": may_edit,
        "version": shown,
        "versions": incident.reports.order_by("-version"),
        "sections": report.sections(incident, shown),
        "deadlines": report.deadlines(incident, malicious=shown.malicious if shown else False),
        "fields": report.FIELDS,
    }
    return render(request, "incidents/report.html", context)


def _export(
    request: HttpRequest, incident: Incident, version: ReportVersion | None, body: bytes, *, kind: str, mime: str
) -> HttpResponse:
    name = f"kokin-leak-report-{incident.number}-v{version.version if version else 0}.{kind}"
    record(
        action="incident_report_export",
        actor=actor_of(request),
        object=f"incident:{incident.number}",
        sha256=hashlib.sha256(body).hexdigest(),
        detail={"as": kind, "version": version.version if version else None},
    )
    mark_recorded(request)
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def export_pdf(request: HttpRequest, number: int) -> HttpResponse:
    incident = _incident(request, number)
    version = _version(request, incident)
    body = report_pdf.render(incident, version)
    return _export(request, incident, version, body, kind="pdf", mime="application/pdf")


@require_safe
@login_required
def export_text(request: HttpRequest, number: int) -> HttpResponse:
    incident = _incident(request, number)
    version = _version(request, incident)
    body = report.as_text(incident, version).encode("utf-8")
    return _export(request, incident, version, body, kind="txt", mime="text/plain; charset=utf-8")
