"""The exchange's pages under ``/files/``. Each parses input, asks a selector (permission) and calls one
service, then renders; the operation log is written by the services (and for pages shown, by the
audit middleware).

Actions that change a file (approve, withdraw, inspect) answer GET with a confirmation page that shows
the file's summary, and POST with the change; no GET or HEAD changes a file. The download page (one
URL) shows the choices on GET and serves every download on POST (field ``as``): ``original``,
``csv`` (with ``encoding``), ``zip`` (makes the password ZIP, shows its password) and ``package``
(with ``token``: fetches that ZIP once). A download is counted, and a new file becomes 取得済, only then.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from kokin.accounts.models import Business, User
from kokin.accounts.permissions import Action, can
from kokin.audit.services import mark_recorded, record
from kokin.exchange import downloads, present, reports, selectors, services, space, uploads
from kokin.exchange.checks import Checked
from kokin.exchange.errors import ExchangeError
from kokin.exchange.forms import CsvForm, FilterForm, PackageForm, ReasonForm, UploadForm
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.names import safe_name
from kokin.exchange.states import State
from kokin.vault.errors import VaultError

PAGE_SIZE = 50
#: issues listed on the page; the downloadable report has all of them
SHOWN_ISSUES = 100
SESSION_REPORTS = "exchange_reports"
SESSION_PACKAGES = "exchange_packages"
STREAM_BLOCK = 1 << 20


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- lists and details ---------------------------------------------------------------------------


@require_safe
@login_required
def file_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
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


def _actions(user: User, file: ExchangeFile) -> dict[str, bool]:
    """Which action links the file's page offers to ``user`` (the views check again)."""
    business = file.data_kind.business
    stored = file.state != State.ERASED
    return {
        "download": stored and can(user, Action.DOWNLOAD_FILE, business),
        "approve": file.state == State.AWAITING_APPROVAL and can(user, Action.APPROVE_FILE, business),
        "unapprove": file.state == State.APPROVED
        and file.approved_by_id == user.pk
        and can(user, Action.APPROVE_FILE, business),
        "withdraw": file.state in (State.AWAITING_APPROVAL, State.APPROVED) and can(user, Action.UPLOAD_FILE, business),
        "inspect": file.state == State.DOWNLOADED and can(user, Action.DOWNLOAD_FILE, business),
    }


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _file_context(user: User, file: ExchangeFile) -> dict[str, Any]:
    entries = [h | {"at": _when(h.get("at"))} for h in file.history]
    downloads_done = [h for h in entries if h.get("state") == "download"]
    history = [h | {"label": State(h["state"]).label} for h in entries if h.get("state") in State.values]
    return {
        "file": file,
        "groups": present.groups(file.summary, file.format),
        "batches": present.batch_rows(file.summary),
        "warnings": present.issue_rows(file.warnings),
        "history": history,
        "downloads": list(reversed(downloads_done)),
        "actions": _actions(user, file),
        "certificate": getattr(file, "certificate", None) if file.state == State.ERASED else None,
    }


@require_safe
@login_required
def detail(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = _user(request)
    file = selectors.file_for(user, file_id, Action.VIEW_FILES)
    return render(request, "exchange/detail.html", _file_context(user, file))


# --- upload --------------------------------------------------------------------------------------


def _business(code: str) -> Business:
    return get_object_or_404(Business.objects.select_related("department"), code=code)


@csrf_exempt  # the CSRF check runs in upload_post, after the size-limited upload handler is set
@login_required
def upload(request: HttpRequest, business: str) -> HttpResponseBase:
    user = _user(request)
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
    record(
        action="exchange_upload",
        request=request,
        actor=request.user,
        role=services.role_on(request.user, business),
        object=f"mailbox:{business.code}",
        outcome="failure",
        detail={
            "reason": "too_large",
            "limit_mb": policy.max_upload_mb,
            "content_length": request.META.get("CONTENT_LENGTH"),
        },
    )
    mark_recorded(request)
    return render(request, "exchange/too_large.html", {"business": business, "policy": policy}, status=413)


def _no_space(request: HttpRequest, business: Business, **detail: Any) -> HttpResponse:
    """507: the disk has less free space than the upload and the margin (found before the body was
    read), or it filled while the body arrived (``error``); nothing is kept either way."""
    space.refuse_upload(
        request=request,
        actor=request.user,
        role=services.role_on(request.user, business),
        business=business.code,
        via="web",
        **detail,
    )
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
            user=_user(request),
            received=received,
            confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            confirm_warnings=form.cleaned_data["confirm_warnings"],
            request=request,
        )
    except ExchangeError as exc:
        mark_recorded(request)
        form.add_error(None, exc.message_ja)
        return render(request, "exchange/upload.html", _upload_context(business, form), status=409)
    mark_recorded(request)
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
        total_issues=checked.report.error_count + checked.report.warning_count,
        omitted_issues=checked.report.omitted,
        issue_limit=checked.report.max_issues,
        report_token=_save_report(request, checked) if checked.issues else "",
        needs_duplicate="duplicate" in outcome.needs,
        needs_warnings="warnings" in outcome.needs,
    )
    return render(request, "exchange/upload.html", context, status=422 if outcome.rejected else 200)


def _save_report(request: HttpRequest, checked: Checked) -> str:
    token = reports.save(checked.issues, more=checked.report.omitted)
    kept = [t for t in request.session.get(SESSION_REPORTS, []) if reports.path_of(t)]
    request.session[SESSION_REPORTS] = [*kept[-9:], token]
    return token


def _report(request: HttpRequest, token: str) -> HttpResponseBase:
    path = reports.path_of(token) if token in request.session.get(SESSION_REPORTS, []) else None
    if path is None:
        return render(request, "exchange/gone.html", {"what": "検証結果の一覧"}, status=404)
    name = f"kokin-validation-report-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type="text/csv; charset=utf-8")


# --- approval, withdrawal, inspection ------------------------------------------------------------


def _conflict(request: HttpRequest, file: ExchangeFile, template: str, exc: ExchangeError) -> HttpResponse:
    mark_recorded(request)
    context = _file_context(_user(request), file) | {"error": exc.message_ja, "form": ReasonForm()}
    return render(request, template, context, status=409)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def approve(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = _user(request)
    file = selectors.file_for(user, file_id, Action.APPROVE_FILE)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                services.approve(file=file, user=user, request=request)
                messages.success(request, "承認しました。金融機関が取得できるようになりました。")
            elif decision == "unapprove" and form.is_valid():
                services.withdraw_approval(file=file, user=user, reason=form.cleaned_data["reason"], request=request)
                messages.success(
                    request, "承認を取り消しました。このファイルは再び承認待ちになり、金融機関は取得できません。"
                )
            elif decision == "return" and form.is_valid():
                services.withdraw(file=file, user=user, reason=form.cleaned_data["reason"], request=request)
                messages.success(request, "差し戻しました。このファイルは金融機関に送られません。")
            else:
                return render(request, "exchange/approve.html", _file_context(user, file) | {"form": form}, status=400)
        except ExchangeError as exc:
            return _conflict(request, file, "exchange/approve.html", exc)
        mark_recorded(request)
        return redirect("exchange:detail", file.id)
    context = _file_context(user, file) | {
        "form": ReasonForm(),
        "own_upload": file.uploaded_by_id == user.pk,
        "approvable": file.state == State.AWAITING_APPROVAL,
        "own_approval": file.state == State.APPROVED and file.approved_by_id == user.pk,
    }
    return render(request, "exchange/approve.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def withdraw(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = _user(request)
    file = selectors.file_for(user, file_id, Action.UPLOAD_FILE)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return render(request, "exchange/withdraw.html", _file_context(user, file) | {"form": form}, status=400)
        try:
            services.withdraw(file=file, user=user, reason=form.cleaned_data["reason"], request=request)
        except ExchangeError as exc:
            return _conflict(request, file, "exchange/withdraw.html", exc)
        mark_recorded(request)
        messages.success(request, "取り下げました。このファイルは金融機関に送られません。")
        return redirect("exchange:detail", file.id)
    context = _file_context(user, file) | {
        "form": ReasonForm(),
        "withdrawable": file.state in (State.AWAITING_APPROVAL, State.APPROVED),
    }
    return render(request, "exchange/withdraw.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def inspect(request: HttpRequest, file_id: UUID) -> HttpResponse:
    user = _user(request)
    file = selectors.file_for(user, file_id, Action.DOWNLOAD_FILE)
    if request.method == "POST":
        try:
            file = services.inspect(file=file, user=user, request=request)
        except ExchangeError as exc:
            return _conflict(request, file, "exchange/inspect.html", exc)
        mark_recorded(request)
        messages.success(request, "検収済にしました。保存期間の経過後に消去され、消去証明書が発行されます。")
        return redirect("exchange:detail", file.id)
    context = _file_context(user, file) | {"inspectable": file.state == State.DOWNLOADED}
    return render(request, "exchange/inspect.html", context)


# --- downloads -----------------------------------------------------------------------------------


def _stream(source: Any, *, name: str, size: int, sha256: str, content_type: str | None = None) -> FileResponse:
    response = FileResponse(source, as_attachment=True, filename=name, content_type=content_type)
    response.block_size = STREAM_BLOCK
    response["Content-Length"] = str(size)
    response["X-Kokin-SHA256"] = sha256
    response["Cache-Control"] = "no-store"
    return response


def _broken(request: HttpRequest, file: ExchangeFile, exc: VaultError) -> HttpResponse:
    record(
        action="exchange_download",
        request=request,
        actor=request.user,
        role=services.role_on(request.user, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        outcome="error",
        detail={"reason": exc.message_en},
    )
    mark_recorded(request)
    return render(request, "exchange/broken.html", {"file": file, "error": exc.message_ja}, status=500)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def download(request: HttpRequest, file_id: UUID) -> HttpResponseBase:
    """GET shows the choices and changes nothing; each download is a POST (field ``as``) that answers
    with the file itself, so only a POST counts a download and makes a new file 取得済."""
    user = _user(request)
    file = selectors.file_for(user, file_id, Action.DOWNLOAD_FILE)
    if file.state == State.ERASED:
        return render(request, "exchange/gone.html", {"what": "このファイル", "file": file}, status=410)
    csv_form, package_form, status = CsvForm(), PackageForm(), 200
    if request.method == "POST":
        what = request.POST.get("as", "")
        try:
            if what == "original":
                return _send_original(request, file)
            if what == "csv":
                csv_form = CsvForm(request.POST)
                if csv_form.is_valid():
                    return _send_csv(request, file, csv_form.cleaned_data["encoding"])
            elif what == "zip":
                package_form = PackageForm(request.POST)
                if package_form.is_valid():
                    return _make_package(request, file, package_form.cleaned_data["password"])
            elif what == "package":
                return _send_package(request, file, request.POST.get("token", ""))
        except VaultError as exc:
            return _broken(request, file, exc)
        status = 400
    context = _file_context(user, file) | {"csv_form": csv_form, "package_form": package_form}
    return render(request, "exchange/download.html", context, status=status)


def _send_original(request: HttpRequest, file: ExchangeFile) -> HttpResponseBase:
    reader = downloads.open_original(file)
    services.record_download(file=file, user=_user(request), what="original", sha256=file.sha256, request=request)
    mark_recorded(request)
    return _stream(reader, name=file.original_name, size=file.size, sha256=file.sha256)


def _send_csv(request: HttpRequest, file: ExchangeFile, encoding: str) -> HttpResponseBase:
    spool, digest, size = downloads.csv_export(file, encoding=encoding)
    services.record_download(
        file=file, user=_user(request), what="csv", sha256=digest, request=request, detail={"encoding": encoding}
    )
    mark_recorded(request)
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return _stream(
        spool, name=downloads.csv_name(file), size=size, sha256=digest, content_type=f"text/csv; charset={charset}"
    )


def _make_package(request: HttpRequest, file: ExchangeFile, password: str | None) -> HttpResponse:
    """Make the ZIP and show its password once; it is fetched (and counted) by a second POST."""
    package = downloads.package(file, password=password)
    token = secrets.token_urlsafe(18)
    pending = request.session.get(SESSION_PACKAGES, {})
    pending[token] = {"file": str(file.id), "path": str(package.path), "sha256": package.sha256, "size": package.size}
    request.session[SESSION_PACKAGES] = dict(list(pending.items())[-5:])
    context = {
        "file": file,
        "token": token,
        "package": package,
        "password": package.password if package.password_generated else "",
        "name": _package_name(file),
    }
    response = render(request, "exchange/package.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _package_name(file: ExchangeFile) -> str:
    stem = file.original_name.rsplit(".", 1)[0] if "." in file.original_name else file.original_name
    return f"{stem}.zip"


class _OneShot:
    """A package file that is removed once it has been sent (or the response is closed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = open(path, "rb")  # noqa: SIM115 - closed with the response

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


def _send_package(request: HttpRequest, file: ExchangeFile, token: str) -> HttpResponseBase:
    pending = request.session.get(SESSION_PACKAGES, {})
    entry = pending.get(token)
    path = Path(entry["path"]) if entry and entry.get("file") == str(file.id) else None
    if path is None or not path.exists():
        return render(request, "exchange/gone.html", {"what": "パスワード付き ZIP", "file": file}, status=404)
    del pending[token]
    request.session[SESSION_PACKAGES] = pending
    services.record_download(
        file=file,
        user=_user(request),
        what="zip",
        sha256=entry["sha256"],
        request=request,
        detail={"format": "zip-aes256", "size": entry["size"]},
    )
    mark_recorded(request)
    return _stream(
        _OneShot(path),
        name=_package_name(file),
        size=int(entry["size"]),
        sha256=entry["sha256"],
        content_type="application/zip",
    )


# --- certificates --------------------------------------------------------------------------------


@require_safe
@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    certificates = selectors.certificates_visible_to(_user(request))
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exchange/certificates.html", {"page": page})


@require_safe
@login_required
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    cert = selectors.certificate_for(user, number)
    record(
        action="exchange_certificate",
        request=request,
        actor=user,
        role=services.role_on(user, cert.business),
        object=f"certificate:{cert.number}",
        sha256=cert.pdf_sha256,
        detail={"file": str(cert.file_uid)},
    )
    mark_recorded(request)
    response = HttpResponse(bytes(cert.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="kokin-deletion-certificate-{cert.number}.pdf"'
    response["X-Kokin-SHA256"] = cert.pdf_sha256
    return response
