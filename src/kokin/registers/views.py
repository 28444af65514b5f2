"""The registers' pages: the versions of both registers (the current one marked), one version with its
table and changes, its PDF and CSV, and the system administrator's sign-off (POST).

The system administrator and the auditor read everything; only the administrator signs off; an
operator of a business gets 403. Pages are logged by the operation log's middleware (``view``), each
download by :func:`kokin.registers.services.exported` with the SHA-256 of the bytes handed out.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from kokin.accounts.actors import actor_of
from kokin.accounts.permissions import Action, can
from kokin.audit.services import mark_recorded
from kokin.registers import report, report_csv, report_pdf, selectors, services
from kokin.registers.errors import RegisterError
from kokin.registers.forms import SignOffForm
from kokin.registers.models import Kind, RegisterVersion

PAGE_SIZE = 50


def require(request: HttpRequest, action: Action) -> None:
    if not can(request.user, action):  # type: ignore[arg-type]
        raise PermissionDenied


def _version(request: HttpRequest, pk: int) -> RegisterVersion:
    require(request, Action.VIEW_REGISTERS)
    return get_object_or_404(RegisterVersion.objects.select_related("signed_off_by"), pk=pk)


@require_safe
@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.VIEW_REGISTERS)
    registers = []
    for kind in Kind:
        param = f"{kind}_page"  # each register pages on its own
        page = Paginator(selectors.version_list(kind), PAGE_SIZE).get_page(request.GET.get(param))
        newest = page.object_list[0] if page.number == 1 and page.object_list else selectors.current(kind)
        registers.append({"kind": kind, "title": kind.label, "page": page, "param": param, "current": newest})
    return render(request, "registers/list.html", {"registers": registers})


def _detail(request: HttpRequest, version: RegisterVersion, form: SignOffForm | None = None) -> HttpResponse:
    previous = selectors.previous(version)
    current = selectors.current(version.kind)
    context: dict[str, Any] = {
        "version": version,
        "report": report.of(version, previous),
        "is_current": current is not None and current.pk == version.pk,
        "current": current,
        "may_sign_off": can(request.user, Action.SIGN_OFF_REGISTERS) and not version.signed_off,  # type: ignore[arg-type]
        "form": form or SignOffForm(initial={"sha256": version.sha256}),
    }
    return render(request, "registers/detail.html", context)


@require_safe
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _version(request, pk))


@require_POST
@login_required
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    require(request, Action.SIGN_OFF_REGISTERS)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            signed = services.sign_off(version=version, sha256=form.cleaned_data["sha256"], actor=actor_of(request))
        except RegisterError as exc:
            form.add_error(None, exc.message_ja)
        else:
            messages.success(request, f"{signed.get_kind_display()} 第{signed.number}版を確認しました。")
            return redirect("registers:detail", pk=signed.pk)
    version.refresh_from_db()
    return _detail(request, version, form)


def _export(request: HttpRequest, version: RegisterVersion, body: bytes, *, as_: str, mime: str) -> HttpResponse:
    services.exported(version=version, body=body, as_=as_, actor=actor_of(request))
    mark_recorded(request)
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="kokin-{version.kind}-v{version.number}.{as_}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@login_required
def export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    body = report_pdf.render(version, report.of(version, selectors.previous(version)))
    return _export(request, version, body, as_="pdf", mime="application/pdf")


@require_safe
@login_required
def export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    body = report_csv.render(report.of(version, selectors.previous(version)))
    return _export(request, version, body, as_="csv", mime="text/csv; charset=utf-8")
