"""The download page: GET shows the choices; each download is a POST (``as``): the original, CSV,
Excel (``xlsx``), or a password ZIP that is made, its password shown once, and then fetched once; for a debit result
with records not debited, also those records only (``failures_csv``, ``failures_xlsx``)."""

from __future__ import annotations

import hashlib
import io
import secrets
from pathlib import Path
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kokin.accounts.actors import actor_of, role_on
from kokin.accounts.permissions import Action
from kokin.audit.services import mark_recorded, record
from kokin.exchange import downloads, failures, selectors, services
from kokin.exchange.forms import CsvForm, PackageForm, SheetForm
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.exchange.views._common import file_context, user_of
from kokin.formats.tabular import Headers
from kokin.vault.errors import VaultError

SESSION_PACKAGES = "exchange_packages"
#: ``as`` of the 「振替不能分のみ」 downloads of a debit result: (suffix, content type)
FAILURE_FORMATS = {
    "failures_csv": (".csv", "text/csv; charset=utf-8"),
    "failures_xlsx": (".xlsx", failures.XLSX_TYPE),
}


def _broken(request: HttpRequest, file: ExchangeFile, exc: VaultError) -> HttpResponse:
    actor = actor_of(request)
    record(
        action="exchange_download",
        actor=actor,
        role=role_on(actor, file.data_kind.business),
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
    user = user_of(request)
    file = selectors.file_for(user, file_id, Action.DOWNLOAD_FILE)
    if file.state == State.ERASED:
        return render(request, "exchange/gone.html", {"what": "このファイル", "file": file}, status=410)
    if file.state == State.QUARANTINED:
        return render(request, "exchange/quarantined.html", {"file": file}, status=403)
    csv_form, package_form, status = CsvForm(), PackageForm(), 200
    if request.method == "POST":
        what = request.POST.get("as", "")
        try:
            if what == "original":
                return _send_original(request, file)
            if what == "csv":
                csv_form = CsvForm(request.POST)
                if csv_form.is_valid():
                    data = csv_form.cleaned_data
                    return _send_csv(request, file, data["encoding"], data["headers"])
            elif what == "xlsx":
                sheet_form = SheetForm(request.POST)
                if sheet_form.is_valid():
                    return _send_xlsx(request, file, sheet_form.cleaned_data["headers"])
            elif what == "zip":
                package_form = PackageForm(request.POST)
                if package_form.is_valid():
                    return _make_package(request, file, package_form.cleaned_data["password"])
            elif what == "package":
                return _send_package(request, file, request.POST.get("token", ""))
            elif what in FAILURE_FORMATS and failures.has_failures(file):
                return _send_failures(request, file, what)
        except VaultError as exc:
            return _broken(request, file, exc)
        status = 400
    context = file_context(user, file) | {
        "csv_form": csv_form,
        "sheet_form": SheetForm(auto_id="sheet_%s"),
        "package_form": package_form,
        "has_failures": failures.has_failures(file),
    }
    return render(request, "exchange/download.html", context, status=status)


def _send_original(request: HttpRequest, file: ExchangeFile) -> HttpResponseBase:
    reader = downloads.open_original(file)
    services.record_download(file=file, actor=actor_of(request), what="original", sha256=file.sha256)
    mark_recorded(request)
    return downloads.file_response(reader, name=file.original_name, size=file.size, sha256=file.sha256)


def _send_csv(request: HttpRequest, file: ExchangeFile, encoding: str, headers: Headers) -> HttpResponseBase:
    spool, digest, size = downloads.csv_export(file, encoding=encoding, headers=headers)
    services.record_download(
        file=file,
        actor=actor_of(request),
        what="csv",
        sha256=digest,
        detail={"encoding": encoding, "headers": headers},
    )
    mark_recorded(request)
    return downloads.csv_response(file, spool, encoding=encoding, size=size, sha256=digest)


def _send_xlsx(request: HttpRequest, file: ExchangeFile, headers: Headers) -> HttpResponseBase:
    """The data records as an Excel workbook (:func:`kokin.exchange.downloads.write_xlsx`)."""
    spool, digest, size = downloads.xlsx_export(file, headers=headers)
    services.record_download(
        file=file, actor=actor_of(request), what="xlsx", sha256=digest, detail={"headers": headers}
    )
    mark_recorded(request)
    return downloads.file_response(
        spool, name=downloads.xlsx_name(file), size=size, sha256=digest, content_type=downloads.XLSX_TYPE
    )


def _send_failures(request: HttpRequest, file: ExchangeFile, what: str) -> HttpResponseBase:
    """Only the records not debited, as CSV (UTF-8 with BOM) or Excel; counted and logged as a download."""
    rows = list(failures.iter_failures(file))
    data = failures.as_csv(rows) if what == "failures_csv" else failures.as_xlsx(rows)
    digest = hashlib.sha256(data).hexdigest()
    actor = actor_of(request)
    services.record_download(file=file, actor=actor, what=what, sha256=digest, detail={"records": len(rows)})
    mark_recorded(request)
    suffix, content_type = FAILURE_FORMATS[what]
    return downloads.file_response(
        io.BytesIO(data),
        name=failures.file_stem(file) + suffix,
        size=len(data),
        sha256=digest,
        content_type=content_type,
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
        "name": downloads.package_name(file),
    }
    response = render(request, "exchange/package.html", context)
    response["Cache-Control"] = "no-store"
    return response


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
        actor=actor_of(request),
        what="zip",
        sha256=entry["sha256"],
        detail={"format": "zip-aes256", "size": entry["size"]},
    )
    mark_recorded(request)
    return downloads.file_response(
        _OneShot(path),
        name=downloads.package_name(file),
        size=int(entry["size"]),
        sha256=entry["sha256"],
        content_type="application/zip",
    )
