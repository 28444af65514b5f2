"""The auditor's page over the operation log: search, CSV download of what was found, chain check
(with the signed checkpoints).

One URL (``/audit/``) for all three, so the role × endpoint registry has one entry to test: the
download is ``?download=csv`` and the chain check ``?verify=1``, each with the current filters.
Only the 監査者 (auditor) may open it (the permission ``kokin.read_audit``, which accounts grants through
Django's ``has_perm``); nobody can change or delete an entry through the hub. The page's own entries are
written by the request's actor (:data:`kokin.audit.actor.current_actor`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from kokin.audit import anchors, selectors
from kokin.audit.actor import Actor, current_actor
from kokin.audit.details import describe
from kokin.audit.export import ENCODINGS, write_csv
from kokin.audit.forms import ExportForm, SearchForm
from kokin.audit.labels import action_label, outcome_label
from kokin.audit.services import check, mark_recorded, record

PAGE_SIZE = 100
#: the auditor's permission (kokin.accounts.backends.PermissionBackend)
READ_AUDIT = "kokin.read_audit"


def _actor() -> Actor:
    actor = current_actor.get()
    if actor is None:
        raise ImproperlyConfigured("kokin.accounts.middleware.ActorMiddleware is not in MIDDLEWARE")
    return actor


def _filters_for_log(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in filters.items() if v}


def _download(request: HttpRequest, filters: dict[str, Any], encoding: str) -> FileResponse:
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    written = write_csv(spool, selectors.entries(**filters).iterator(chunk_size=2000), encoding=encoding)
    spool.seek(0)
    digest = hashlib.file_digest(spool, "sha256").hexdigest()
    spool.seek(0)
    name = f"kokin-operation-log-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    record(
        action="audit_export",
        actor=_actor(),
        object=name,
        sha256=digest,
        detail={"rows": written.rows, "encoding": encoding, "escaped": written.escaped, **_filters_for_log(filters)},
    )
    mark_recorded(request)
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return FileResponse(spool, as_attachment=True, filename=name, content_type=f"text/csv; charset={charset}")


@require_safe
def search(request: HttpRequest) -> HttpResponse | FileResponse:
    if not request.user.has_perm(READ_AUDIT):
        raise PermissionDenied
    form = SearchForm(request.GET or None)
    export_form = ExportForm({"encoding": request.GET.get("encoding", ENCODINGS[0])})
    filters: dict[str, Any] = {}
    valid = form.is_valid() if form.is_bound else True
    if form.is_bound and valid:
        filters = form.filters()
    if valid and request.GET.get("download") == "csv" and export_form.is_valid():
        return _download(request, filters, export_form.cleaned_data["encoding"])

    verification = anchored = None
    if request.GET.get("verify") == "1":
        anchored = anchors.check()
        verification = check(keep=100)
        record(
            action="audit_verify",
            actor=_actor(),
            object="operation log",
            outcome="success" if verification.ok and anchored.ok else "failure",
            detail={
                "entries": verification.count,
                "breaks": verification.break_count,
                "checkpoint_problems": len(anchored.problems),
                "checkpoint": anchored.latest.seq if anchored.latest else None,
            },
        )
        mark_recorded(request)

    rows = selectors.entries(**filters).order_by("-seq") if valid else selectors.entries().none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.action_label = action_label(entry.action)  # type: ignore[attr-defined]
        entry.outcome_label = outcome_label(entry.outcome)  # type: ignore[attr-defined]
        entry.detail_text = describe(entry.action, entry.detail)  # type: ignore[attr-defined]
        entry.detail_json = json.dumps(entry.detail, ensure_ascii=False) if entry.detail else ""  # type: ignore[attr-defined]
    hidden = [(name, value) for name, value in request.GET.items() if name in form.fields and value]
    context = {
        "form": form,
        "export_form": export_form if export_form.is_valid() else ExportForm(),
        "page": page,
        "filter_params": hidden,
        "verification": verification,
        "anchored": anchored,
    }
    return render(request, "audit/search.html", context)
