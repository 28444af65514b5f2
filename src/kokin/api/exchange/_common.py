"""What the exchange's endpoints share: the router, the business or file a call names (404 when
there is none, 403 logged when the caller may not act on it), and a file as the API shows it."""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import P, PathEx, Router
from ninja.errors import HttpError

from kokin.accounts.models import Business
from kokin.accounts.permissions import Action, can
from kokin.api.auth import DENIED, deny
from kokin.api.schemas import CODE_PATTERN, SHOWN_ISSUES, FileOut, Invalid, IssueOut, Message
from kokin.api.services import record_api_call
from kokin.audit.actor import Actor
from kokin.exchange import selectors
from kokin.exchange.models import ExchangeFile
from kokin.formats.errors import FormatIssue

NO_FILE = "ファイルがありません / no such file"
ERRORS: dict[int, type[Message] | type[Invalid]] = {401: Message, 403: Message, 404: Message}
#: the OpenAPI operation ids keep the name of the module the endpoints were first written in
OPERATION = "kokin_api_exchange_"

router = Router(tags=["ファイル交換 / file exchange"])

#: the path parameter that names a file
FileId = PathEx[str, P(description="ファイル ID (UUID)")]


def business_for(request: HttpRequest, actor: Actor, code: str, action: Action) -> Business:
    business = (
        Business.objects.select_related("department").filter(code=code).first()
        if re.fullmatch(CODE_PATTERN, code)
        else None
    )
    if business is None:
        raise HttpError(404, f"業務 {code!r} はありません / no business {code!r}")
    if not can(actor.user, action, business):
        raise deny(request, actor, business)
    return business


def file_for(request: HttpRequest, actor: Actor, file_id: str, action: Action) -> ExchangeFile:
    try:
        pk = uuid.UUID(file_id)
    except ValueError as exc:
        raise HttpError(404, NO_FILE) from exc
    try:
        return selectors.file_for(actor.user, pk, action)
    except Http404 as exc:
        raise HttpError(404, NO_FILE) from exc
    except PermissionDenied as exc:
        record_api_call(request, actor, outcome="denied", detail={"file": file_id})
        raise HttpError(403, DENIED) from exc


def file_out(file: ExchangeFile) -> FileOut:
    return FileOut(
        id=file.id,
        business=file.data_kind.business.code,
        data_kind=file.data_kind.label,
        direction=file.direction,
        state=file.state,
        state_label=file.state_label,
        original_name=file.original_name,
        size=file.size,
        sha256=file.sha256,
        format=file.format,
        mode=file.mode,
        received_at=file.received_at,
        records=file.total_count,
        total_amount=file.total_amount,
        errors=file.error_count,
        warnings=file.warning_count,
        debit_date=file.debit_date,
        approved_at=file.approved_at,
        collected_at=file.collected_at,
        download_count=file.download_count,
        inspected_at=file.inspected_at,
        erased_at=file.erased_at,
        retention_due=file.retention_due,
        summary=file.summary,
    )


def issues_out(issues: list[FormatIssue]) -> list[IssueOut]:
    return [IssueOut(**i.as_dict()) for i in issues[:SHOWN_ISSUES]]  # type: ignore[arg-type]
