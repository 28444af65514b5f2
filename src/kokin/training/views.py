"""The training pages: the acknowledgement of the handling rules (every logged-in user; the gate sends a
lapsed operator here), and the training page with the 研修実施報告 (the system administrator and the
auditor; only the administrator records training) and its PDF and CSV.

Pages shown are logged by the page-view log (``view``); an acknowledgement, a record and an export are
logged by their own entries (``training_acknowledge``, ``training_record``, ``training_report``).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from kokin.accounts.actors import actor_of
from kokin.accounts.models import User
from kokin.accounts.permissions import Action, can
from kokin.audit.services import mark_recorded, record
from kokin.training import report, report_pdf, selectors, services
from kokin.training.errors import TrainingError
from kokin.training.forms import AcknowledgeForm, PeriodForm, RecordForm


def _require(request: HttpRequest, action: Action) -> None:
    if not can(request.user, action):  # type: ignore[arg-type]
        raise PermissionDenied


def _next(request: HttpRequest, asked: str) -> str:
    """Where to go after acknowledging: the page asked for when it is on this site, else home."""
    own = reverse("training:acknowledge")
    if (
        asked
        and not asked.startswith(own)
        and url_has_allowed_host_and_scheme(
            asked, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return asked
    return reverse("home")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def acknowledge(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    rules = selectors.current_rules()
    if request.method == "POST":
        form = AcknowledgeForm(request.POST)
        if form.is_valid():
            going = form.cleaned_data["next"]
            if rules is not None and form.cleaned_data["version"] == rules.version:
                services.acknowledge(user=user, rules=rules, actor=actor_of(request))
                messages.success(request, f"{rules.title} 第{rules.version}版の確認を記録しました。")
                return HttpResponseRedirect(_next(request, going), status=303)
            # the rules changed (or were withdrawn) while the page was open: read them again
            messages.warning(
                request,
                f"取扱規程が第{rules.version}版に改訂されました。新しい版を読んでから確認してください。"
                if rules is not None
                else "現在施行中の取扱規程はありません。",
            )
            again = reverse("training:acknowledge") + (f"?{urlencode({'next': going})}" if going else "")
            return HttpResponseRedirect(again, status=303)
    else:
        form = AcknowledgeForm(initial={"version": rules.version if rules else 0, "next": request.GET.get("next", "")})
    context = {
        "rules": rules,
        "status": selectors.status_of(user),
        "gated": selectors.is_operator(user),
        "days": selectors.days(),
        "form": form,
    }
    return render(request, "training/acknowledge.html", context)


def _period(request: HttpRequest) -> PeriodForm:
    return PeriodForm(request.GET)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The training records and acknowledgements of a period; the administrator's form to record training."""
    _require(request, Action.VIEW_TRAINING)
    may_record = can(request.user, Action.RECORD_TRAINING)  # type: ignore[arg-type]
    record_form = RecordForm()
    if request.method == "POST":
        _require(request, Action.RECORD_TRAINING)
        record_form = RecordForm(request.POST)
        if record_form.is_valid():
            data = record_form.cleaned_data
            try:
                made = services.record_training(
                    course=data["course"],
                    completed_on=data["completed_on"],
                    users=list(data["users"]),
                    actor=actor_of(request),
                    note=data["note"],
                )
            except TrainingError as exc:
                record_form.add_error(exc.field if exc.field in record_form.fields else None, exc.message_ja)
            else:
                messages.success(request, f"「{data['course'].title}」の受講を {len(made)} 名分記録しました。")
                return HttpResponseRedirect(reverse("training:index"), status=303)
    period = _period(request)
    start, end = period.period() if period.is_valid() else (None, None)
    context = {
        "period": period,
        "report": report.build(start, end),
        "query": request.GET.urlencode(),
        "may_record": may_record,
        "record_form": record_form,
    }
    return render(request, "training/index.html", context)


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    _require(request, Action.VIEW_TRAINING)
    period = _period(request)
    if not period.is_valid():
        errors = " ".join(str(e) for errors in period.errors.values() for e in errors)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    start, end = period.period()
    built = report.build(start, end)
    body = report_pdf.render(built) if kind == "pdf" else report.as_csv(built)
    record(
        action="training_report",
        actor=actor_of(request),
        object="training_report",
        sha256=hashlib.sha256(body).hexdigest(),
        detail={
            "as": kind,
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "rows": len(built.rows),
        },
    )
    mark_recorded(request)
    mime = "application/pdf" if kind == "pdf" else "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{report.filename(built, kind)}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def export_pdf(request: HttpRequest) -> HttpResponse:
    return _export(request, "pdf")


@require_safe
@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")
