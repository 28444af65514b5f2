"""Sending a file: the upload page, the upload itself through the exchange's intake handler (size
limit, free space, CSRF after the handler is set) and the downloadable report of what checking found."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from kokin.accounts.actors import actor_of, role_on
from kokin.accounts.models import Business
from kokin.accounts.permissions import Action, can
from kokin.audit.services import mark_recorded
from kokin.exchange import issue_table, reports, selectors, services, space, uploads
from kokin.exchange.checks import Checked
from kokin.exchange.errors import ExchangeError
from kokin.exchange.forms import UploadForm
from kokin.exchange.models import ExchangePolicy
from kokin.exchange.services import screening
from kokin.exchange.views._common import user_of
from kokin.formats.names import safe_name

#: issues listed on the page; the downloadable report has all of them
SHOWN_ISSUES = 100
SESSION_REPORTS = "exchange_reports"


def _business(code: str) -> Business:
    return get_object_or_404(Business.objects.select_related("department"), code=code)


@csrf_exempt  # the CSRF check runs in upload_post, after the size-limited upload handler is set
@login_required
def upload(request: HttpRequest, business: str) -> HttpResponseBase:
    user = user_of(request)
    target = _business(business)
    if not can(user, Action.UPLOAD_FILE, target):
        raise PermissionDenied("このファイルの送信の権限がありません")
    if request.method == "POST":
        policy = ExchangePolicy.for_business(target)
        if uploads.declared_too_large(request, policy.max_upload_bytes):
            return _too_large(request, target, policy)
        try:
            space.ensure_room(uploads.declared_length(request))
        except space.NoSpace as exc:
            return _no_space(request, target, needed=exc.needed, free=exc.free)
        # the form's kind is known only once the whole body is parsed: see services.upload_intake
        handler = uploads.install(request, policy.max_upload_bytes, lambda: services.upload_intake(target, policy))
        try:
            response: HttpResponseBase = csrf_protect(upload_post)(request, target, policy, handler)
        except Exception as exc:
            if not space.is_no_space(exc):
                raise
            handler.discard()  # before the rest of the body is read past: the partial body goes first
            uploads.drain(request, policy.max_upload_bytes)
            return _no_space(request, target, error=exc)
        finally:
            handler.discard()  # whatever the service did not take over (a kept file's body is its own)
        return response
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    token = request.GET.get("report", "")
    if token:
        return _report(request, token)
    form = UploadForm(kinds=selectors.upload_kinds(target))
    return render(request, "exchange/upload.html", _upload_context(target, form))


def _upload_context(business: Business, form: UploadForm, **extra: Any) -> dict[str, Any]:
    policy = ExchangePolicy.for_business(business)
    return {"business": business, "form": form, "policy": policy, **extra}


def _too_large(request: HttpRequest, business: Business, policy: ExchangePolicy) -> HttpResponse:
    services.refuse_too_large(
        actor=actor_of(request), business=business, policy=policy, content_length=request.META.get("CONTENT_LENGTH")
    )
    mark_recorded(request)
    return render(request, "exchange/too_large.html", {"business": business, "policy": policy}, status=413)


def _no_space(request: HttpRequest, business: Business, **detail: Any) -> HttpResponse:
    """507: the disk has less free space than the upload and the margin (found before the body was
    read), or it filled while the body arrived (``error``); nothing is kept either way."""
    actor = actor_of(request)
    space.refuse_upload(actor=actor.as_role(role_on(actor, business)), business=business.code, via="web", **detail)
    mark_recorded(request)
    return render(request, "exchange/no_space.html", {"business": business}, status=507)


def upload_post(
    request: HttpRequest, business: Business, policy: ExchangePolicy, handler: uploads.IntakeUploadHandler
) -> HttpResponseBase:
    form = UploadForm(request.POST, request.FILES, kinds=selectors.upload_kinds(business))
    if handler.too_large:
        return _too_large(request, business, policy)
    if not form.is_valid():
        return render(request, "exchange/upload.html", _upload_context(business, form), status=400)
    uploaded = form.cleaned_data["file"]
    if not isinstance(uploaded, uploads.TakenFile):
        raise TypeError("uploads must arrive through the exchange's intake handler")
    handler.taken = None  # from here on the service keeps the body or removes it
    received = services.Received.of(uploaded.taken, safe_name(uploaded.name))
    try:
        outcome = services.upload(
            data_kind=form.cleaned_data["data_kind"],
            actor=actor_of(request),
            received=received,
            confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            confirm_warnings=form.cleaned_data["confirm_warnings"],
        )
    except ExchangeError as exc:
        mark_recorded(request)
        form.add_error(None, exc.message_ja)
        return render(request, "exchange/upload.html", _upload_context(business, form), status=409)
    mark_recorded(request)
    refused = screening.refusal(outcome)
    if refused is not None:
        form.add_error(None, refused[0])
        status = 503 if outcome.held is not None else 422
        return render(request, "exchange/upload.html", _upload_context(business, form), status=status)
    if outcome.file is not None:
        messages.success(request, f"「{received.name}」を受け付けました。承認担当者の承認を待っています。")
        return redirect("exchange:detail", outcome.file.id)
    checked = outcome.checked
    context = _upload_context(
        business,
        UploadForm(kinds=selectors.upload_kinds(business), initial={"data_kind": form.cleaned_data["data_kind"]}),
        outcome=outcome,
        received=received,
        issues=checked.issues[:SHOWN_ISSUES],
        issue_groups=issue_table.groups(checked),
        first_records=issue_table.FIRST_RECORDS,
        total_issues=checked.report.error_count + checked.report.warning_count,
        omitted_issues=checked.report.omitted,
        issue_limit=checked.report.max_issues,
        report_token=_save_report(request, checked) if checked.issues else "",
        needs_duplicate="duplicate" in outcome.needs,
        needs_warnings="warnings" in outcome.needs,
    )
    return render(request, "exchange/upload.html", context, status=422 if outcome.rejected else 200)


def _save_report(request: HttpRequest, checked: Checked) -> str:
    token = reports.save(checked.issues, more=checked.report.omitted, layout=issue_table.layout_of(checked))
    kept = [t for t in request.session.get(SESSION_REPORTS, []) if reports.path_of(t)]
    request.session[SESSION_REPORTS] = [*kept[-9:], token]
    return token


def _report(request: HttpRequest, token: str) -> HttpResponseBase:
    path = reports.path_of(token) if token in request.session.get(SESSION_REPORTS, []) else None
    if path is None:
        return render(request, "exchange/gone.html", {"what": "検証結果の一覧"}, status=404)
    name = f"kokin-validation-report-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type="text/csv; charset=utf-8")
