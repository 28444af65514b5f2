"""Sending a file for the bank (送信 upload_file): a multipart form or the raw body, checked and
encrypted while it arrives, size-limited per business (413) and refused when the hub's disk has no
room for it (507); the answer says what checking found."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict
from ninja import P, PathEx, Status
from ninja.errors import HttpError

from kokin.accounts.actors import role_on
from kokin.accounts.models import Business, DataKind
from kokin.accounts.permissions import Action
from kokin.api.auth import api_actor
from kokin.api.exchange._common import ERRORS, OPERATION, business_for, file_out, issues_out, router
from kokin.api.schemas import FileOut, Message, Rejected
from kokin.audit.actor import Actor
from kokin.exchange import selectors, services, space, uploads
from kokin.exchange.errors import ExchangeError
from kokin.exchange.intake import Taken
from kokin.exchange.models import ExchangePolicy
from kokin.exchange.services import screening
from kokin.formats.names import safe_name

TRUE = {"1", "true", "on", "yes"}
RAW = "application/octet-stream"
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "description": "データ種別のラベル (送信先が複数の業務で必須)"},
                        "confirm_duplicate": {"type": "boolean", "description": "重複でも送信する"},
                        "confirm_warnings": {"type": "boolean", "description": "警告を確認した"},
                    },
                }
            },
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary"},
                "description": "ファイルそのもの。kind, name, confirm_duplicate, confirm_warnings はクエリで / "
                "the file itself; kind, name, confirm_duplicate and confirm_warnings as query parameters",
            },
        },
    }
}


def _too_large(actor: Actor, business: Business, policy: ExchangePolicy) -> HttpError:
    services.refuse_too_large(actor=actor, business=business, policy=policy, via="api")
    return HttpError(
        413,
        f"ファイルが大きすぎます (上限 {policy.max_upload_mb} MB)。何も保管していません / "
        f"the file is larger than the limit of {policy.max_upload_mb} MB; nothing was stored",
    )


def _no_space(actor: Actor, business: Business, **detail: Any) -> HttpError:
    """507: no room for the upload (before its body was read, or the disk filled during it)."""
    space.refuse_upload(actor=actor.as_role(role_on(actor, business)), business=business.code, via="api", **detail)
    return HttpError(507, f"{space.MESSAGE_JA} / {space.MESSAGE_EN}")


def _kind(business: Business, label: str) -> DataKind:
    kinds = list(selectors.upload_kinds(business))
    if label:
        kinds = [k for k in kinds if k.label == label]
    if len(kinds) == 1:
        return kinds[0]
    labels = ", ".join(k.label for k in selectors.upload_kinds(business)) or "なし / none"
    raise HttpError(
        400,
        f"送信先のデータ種別を kind で指定してください (候補: {labels}) / "
        f"name the outbound data kind in 'kind' (one of: {labels})",
    )


@router.post(
    "/businesses/{code}/files",
    response={
        201: FileOut,
        400: Message,
        409: Rejected,
        411: Message,
        413: Message,
        422: Rejected,
        507: Message,
        **ERRORS,
    },
    summary="金融機関へ送るファイルを送信 / upload a file for the bank (送信 upload_file)",
    description=(
        "multipart/form-data: `file` (必須), `kind` (データ種別のラベル), `confirm_duplicate`, `confirm_warnings`。"
        "または application/octet-stream: 本文がファイルそのもので、`kind`, `name` (ファイル名), "
        "`confirm_duplicate`, `confirm_warnings` はクエリで指定。"
        "ファイルは受信しながら検証・暗号化され、正しいファイルだけを保管して承認待ちにします (201)。"
        "誤りは 422、確認が必要なら 409、保存領域の不足は 507 (何も保管しない)。"
    ),
    openapi_extra=UPLOAD_BODY,
    operation_id=OPERATION + "upload_file",
)
def upload_file(
    request: HttpRequest,
    code: PathEx[str, P(description="業務コード / business code", example="zeimu-furikae")],
) -> Status[Any]:
    actor = api_actor(request)
    business = business_for(request, actor, code, Action.UPLOAD_FILE)
    policy = ExchangePolicy.for_business(business)
    _admit(request, actor, business, policy)
    try:
        if request.content_type == RAW:
            data_kind = _kind(business, request.GET.get("kind", ""))
            taken, name = _take_raw(request, actor, business, policy, data_kind)
            fields: QueryDict = request.GET
        else:
            data_kind, taken, name, fields = _take_form(request, actor, business, policy)
        return _send(actor, data_kind, services.Received.of(taken, name), fields)
    except HttpError:
        raise
    except Exception as exc:
        if not space.is_no_space(exc):
            raise
        uploads.drain(request, policy.max_upload_bytes)
        raise _no_space(actor, business, error=exc) from exc


def _admit(request: HttpRequest, actor: Actor, business: Business, policy: ExchangePolicy) -> None:
    """413 or 507 before the body is read: it is announced larger than the limit, or the disk has no
    room for it."""
    if uploads.declared_too_large(request, policy.max_upload_bytes):
        raise _too_large(actor, business, policy)
    try:
        space.ensure_room(uploads.declared_length(request))
    except space.NoSpace as exc:
        raise _no_space(actor, business, needed=exc.needed, free=exc.free) from None


def _take_raw(
    request: HttpRequest, actor: Actor, business: Business, policy: ExchangePolicy, data_kind: DataKind
) -> tuple[Taken, str]:
    """The raw body (``application/octet-stream``), with its Content-Length, taken in as ``data_kind``."""
    if uploads.declared_length(request) is None:
        raise HttpError(411, "Content-Length が必要です / Content-Length is required")
    try:
        taken = uploads.take_body(request, services.intake_for(data_kind, policy), policy.max_upload_bytes)
    except uploads.BodyTooLarge:
        raise _too_large(actor, business, policy) from None
    except uploads.BodyCut:
        raise HttpError(
            400, "本文が途中で切れました。何も保管していません / the body ended early; nothing was stored"
        ) from None
    return taken, safe_name(request.GET.get("name", "") or "upload.dat")


def _take_form(
    request: HttpRequest, actor: Actor, business: Business, policy: ExchangePolicy
) -> tuple[DataKind, Taken, str, QueryDict]:
    """The form's ``file``, taken in as the kind named in the query or, after the file, in the form."""
    data_kind = _kind(business, request.GET["kind"]) if request.GET.get("kind") else None
    handler = uploads.install(
        request, policy.max_upload_bytes, lambda: services.upload_intake(business, policy, data_kind)
    )
    try:
        uploaded = request.FILES.get(uploads.FILE_FIELD)
    except Exception as exc:  # a body that is not multipart/form-data
        handler.discard()
        if space.is_no_space(exc):
            raise
        raise HttpError(
            400,
            "multipart/form-data の file か application/octet-stream の本文が必要です / "
            "a multipart/form-data 'file' or an application/octet-stream body is required",
        ) from exc
    if handler.too_large:
        raise _too_large(actor, business, policy)
    if not isinstance(uploaded, uploads.TakenFile):
        handler.discard()
        raise HttpError(400, "multipart/form-data の file が必要です / a multipart/form-data 'file' is required")
    try:
        data_kind = data_kind or _kind(business, request.POST.get("kind", ""))
    except HttpError:
        handler.discard()
        raise
    return data_kind, uploaded.taken, safe_name(uploaded.name), request.POST


def _send(actor: Actor, data_kind: DataKind, received: services.Received, fields: QueryDict) -> Status[Any]:
    """Hand the file to :func:`kokin.exchange.services.upload`; 201 with the file, or what kept it out."""
    try:
        outcome = services.upload(
            data_kind=data_kind,
            actor=actor,
            received=received,
            confirm_duplicate=fields.get("confirm_duplicate", "").lower() in TRUE,
            confirm_warnings=fields.get("confirm_warnings", "").lower() in TRUE,
        )
    except ExchangeError as exc:
        raise HttpError(400, str(exc)) from exc
    if outcome.file is not None:
        return Status(201, file_out(outcome.file))
    report = outcome.checked.report
    refused = screening.refusal(outcome)
    if refused is not None:
        status = 503 if outcome.held is not None else 422
        return Status(
            status,
            Rejected(
                detail=" / ".join(refused),
                errors=report.error_count,
                warnings=report.warning_count,
                issues=[],
                needs=[],
                duplicates=[],
            ),
        )
    if outcome.rejected:
        return Status(
            422,
            Rejected(
                detail=f"ファイルを受け付けませんでした (エラー {report.error_count} 件)。何も保管していません / "
                f"the file was rejected ({report.error_count} errors); nothing was stored",
                errors=report.error_count,
                warnings=report.warning_count,
                issues=issues_out(outcome.checked.issues),
                needs=[],
                duplicates=[],
            ),
        )
    return Status(
        409,
        Rejected(
            detail="確認が必要です (confirm_duplicate / confirm_warnings を付けて再送信)。何も保管していません / "
            "confirmation needed: send again with confirm_duplicate / confirm_warnings; nothing was stored",
            errors=0,
            warnings=report.warning_count,
            issues=issues_out(outcome.checked.issues),
            needs=outcome.needs,
            duplicates=[str(f.id) for f in outcome.duplicates],
        ),
    )
