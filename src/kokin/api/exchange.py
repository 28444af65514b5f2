"""The exchange's API endpoints (mounted by :mod:`kokin.api.api`): list and show files, upload a file for
the bank, download the original, a CSV or an AES-256 password ZIP.

Same rules as the web pages: permission by :mod:`kokin.accounts.permissions` through the exchange's
selectors, every change and download logged by :mod:`kokin.exchange.services`, every read by
``api_view``. Uploads are checked and encrypted while they arrive (:mod:`kokin.exchange.intake`),
size-limited per business (413) and refused when the hub's disk has no room for them (507). Downloads
are POSTs: a download is counted and makes a new file 取得済, and no GET or HEAD changes a file.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, QueryDict
from ninja import Field, P, PathEx, Query, Router, Schema, Status
from ninja.errors import HttpError

from kokin.accounts.actors import role_on
from kokin.accounts.models import Business, DataKind
from kokin.accounts.permissions import Action, can
from kokin.api.auth import DENIED, api_actor, deny
from kokin.api.schemas import CODE_PATTERN, Invalid, Message
from kokin.api.services import record_api_call
from kokin.audit.actor import Actor
from kokin.exchange import downloads, selectors, services, space, uploads
from kokin.exchange.errors import ExchangeError
from kokin.exchange.intake import Taken
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.names import safe_name
from kokin.exchange.states import State
from kokin.formats.errors import FormatIssue
from kokin.vault.errors import ExportError, VaultError

NO_FILE = "ファイルがありません / no such file"
ERRORS: dict[int, type[Message] | type[Invalid]] = {401: Message, 403: Message, 404: Message}
SHOWN_ISSUES = 100
TRUE = {"1", "true", "on", "yes"}

router = Router(tags=["ファイル交換 / file exchange"])


class FileOut(Schema):
    id: uuid.UUID
    business: str
    data_kind: str = Field(description="データ種別 / the mailbox's label")
    direction: str = Field(description="inbound (金融機関から) | outbound (金融機関へ)")
    state: str = Field(
        description="received | validated | awaiting_approval | approved | collected | withdrawn | "
        "available | downloaded | inspected | erased"
    )
    state_label: str
    original_name: str
    size: int
    sha256: str
    format: str
    mode: str = Field(description="request | result (zengin-debit), otherwise empty")
    received_at: dt.datetime
    records: int = Field(description="データレコード数 / data records")
    total_amount: int
    errors: int
    warnings: int
    debit_date: dt.date | None
    approved_at: dt.datetime | None
    collected_at: dt.datetime | None
    download_count: int
    inspected_at: dt.datetime | None
    erased_at: dt.datetime | None
    retention_due: dt.datetime | None
    summary: dict[str, Any]


class FilePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FileOut]


class FileQuery(Schema):
    state: str = Field("", description="状態で絞り込み / filter by state", pattern=r"^[a-z_]{0,20}$")
    direction: str = Field("", description="inbound | outbound", pattern=r"^(inbound|outbound|)$")
    since: dt.date | None = Field(None, description="受信日 (この日から) / received on or after")
    until: dt.date | None = Field(None, description="受信日 (この日まで) / received on or before")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000_000)


class IssueOut(Schema):
    severity: str
    record: int | None
    field: str
    start: int | None
    end: int | None
    code: str
    message_ja: str
    message_en: str


class Rejected(Schema):
    detail: str | list[dict[str, Any]] = Field(description="日本語と英語のメッセージ / Japanese and English message")
    errors: int = 0
    warnings: int = 0
    issues: list[IssueOut] = Field([], description=f"先頭 {SHOWN_ISSUES} 件 / the first {SHOWN_ISSUES} issues")
    needs: list[str] = Field([], description="必要な確認 / confirmations needed: duplicate, warnings")
    duplicates: list[str] = Field([], description="重複の疑いのあるファイル ID / ids of earlier files")


class PackageIn(Schema):
    password: str | None = Field(
        None, description="12 文字以上。省略すると生成し X-Kokin-Package-Password で返す / omitted: generated"
    )


def _binary(description: str, content_type: str = "application/octet-stream") -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": description,
                "headers": {"X-Kokin-SHA256": {"schema": {"type": "string"}, "description": "SHA-256 (hex)"}},
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


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
RAW = "application/octet-stream"


def _business(request: HttpRequest, actor: Actor, code: str, action: Action) -> Business:
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


def _file(request: HttpRequest, actor: Actor, file_id: str, action: Action) -> ExchangeFile:
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


def _out(file: ExchangeFile) -> FileOut:
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


def _issues(issues: list[FormatIssue]) -> list[IssueOut]:
    return [IssueOut(**i.as_dict()) for i in issues[:SHOWN_ISSUES]]  # type: ignore[arg-type]


@router.get(
    "/businesses/{code}/files",
    response={200: FilePage, **ERRORS},
    summary="業務のファイル一覧 / the files of a business (閲覧 view_files)",
)
def list_files(
    request: HttpRequest,
    code: PathEx[str, P(description="業務コード / business code", example="zeimu-furikae")],
    query: Query[FileQuery],
) -> FilePage:
    actor = api_actor(request)
    business = _business(request, actor, code, Action.VIEW_FILES)
    if query.state and query.state not in State.values:
        raise HttpError(404, f"状態 {query.state!r} はありません / no state {query.state!r}")
    files = selectors.files_visible_to(
        actor.user,
        business=business,
        state=query.state,
        direction=query.direction,
        since=query.since,
        until=query.until,
    )
    count = files.count()
    items = [_out(f) for f in files[query.offset : query.offset + query.limit]]
    record_api_call(request, actor, business=business, detail={"count": len(items)})
    return FilePage(count=count, limit=query.limit, offset=query.offset, items=items)


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
)
def upload_file(
    request: HttpRequest,
    code: PathEx[str, P(description="業務コード / business code", example="zeimu-furikae")],
) -> Status[Any]:
    actor = api_actor(request)
    business = _business(request, actor, code, Action.UPLOAD_FILE)
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
        return Status(201, _out(outcome.file))
    report = outcome.checked.report
    if outcome.rejected:
        return Status(
            422,
            Rejected(
                detail=f"ファイルを受け付けませんでした (エラー {report.error_count} 件)。何も保管していません / "
                f"the file was rejected ({report.error_count} errors); nothing was stored",
                errors=report.error_count,
                warnings=report.warning_count,
                issues=_issues(outcome.checked.issues),
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
            issues=_issues(outcome.checked.issues),
            needs=outcome.needs,
            duplicates=[str(f.id) for f in outcome.duplicates],
        ),
    )


@router.get(
    "/files/{file_id}",
    response={200: FileOut, **ERRORS},
    summary="ファイルの明細と集計 / a file with its summary (閲覧 view_files)",
)
def file_detail(request: HttpRequest, file_id: PathEx[str, P(description="ファイル ID (UUID)")]) -> FileOut:
    actor = api_actor(request)
    file = _file(request, actor, file_id, Action.VIEW_FILES)
    record_api_call(request, actor, business=file.data_kind.business, detail={"file": str(file.id)})
    return _out(file)


def _downloadable(request: HttpRequest, actor: Actor, file_id: str) -> ExchangeFile:
    file = _file(request, actor, file_id, Action.DOWNLOAD_FILE)
    if file.state == State.ERASED:
        raise HttpError(410, "このファイルは消去済みです / the file has been erased")
    return file


def _broken(exc: VaultError) -> HttpError:
    return HttpError(500, str(exc))


@router.post(
    "/files/{file_id}/original",
    response={410: Message, 500: Message, **ERRORS},
    summary="元のファイルを取得 / download the original file (取得 download_file)",
    description=(
        "取得は回数を数え、新着のファイルを取得済にするため POST です (GET はファイルを変えません) / a download "
        "is counted and makes a new file downloaded, so it is a POST (no GET changes a file)."
    ),
    openapi_extra=_binary("元のファイル / the original file"),
)
def download_original(
    request: HttpRequest, file_id: PathEx[str, P(description="ファイル ID (UUID)")]
) -> HttpResponseBase:
    actor = api_actor(request)
    file = _downloadable(request, actor, file_id)
    try:
        reader = downloads.open_original(file)
    except VaultError as exc:
        raise _broken(exc) from exc
    services.record_download(file=file, actor=actor, what="original", sha256=file.sha256)
    return downloads.file_response(reader, name=file.original_name, size=file.size, sha256=file.sha256)


class CsvQuery(Schema):
    encoding: str = Field("cp932", pattern=r"^(cp932|utf-8-sig)$", description="cp932 | utf-8-sig")


@router.post(
    "/files/{file_id}/csv",
    response={410: Message, 500: Message, **ERRORS, 422: Invalid},
    summary="データレコードを CSV で取得 / download the data records as CSV (取得 download_file)",
    description=(
        "取得は回数を数え、新着のファイルを取得済にするため POST です (GET はファイルを変えません) / a download "
        "is counted and makes a new file downloaded, so it is a POST (no GET changes a file)."
    ),
    openapi_extra=_binary("CSV (cp932 または UTF-8 BOM付き)", "text/csv"),
)
def download_csv(
    request: HttpRequest, file_id: PathEx[str, P(description="ファイル ID (UUID)")], query: Query[CsvQuery]
) -> HttpResponseBase:
    actor = api_actor(request)
    file = _downloadable(request, actor, file_id)
    try:
        spool, digest, size = downloads.csv_export(file, encoding=query.encoding)
    except VaultError as exc:
        raise _broken(exc) from exc
    services.record_download(file=file, actor=actor, what="csv", sha256=digest, detail={"encoding": query.encoding})
    return downloads.csv_response(file, spool, encoding=query.encoding, size=size, sha256=digest)


class _Package:
    """The ZIP file, removed when the response is closed."""

    def __init__(self, package: Any) -> None:
        self.package = package
        self.handle = package.open()

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.handle.read(size)
        return data

    def close(self) -> None:
        self.handle.close()
        self.package.delete()


def _package_password(request: HttpRequest) -> str | None:
    """The optional JSON body ``{"password": "..."}``; any other (or no) body means: generate one."""
    if request.content_type != "application/json" or not request.body:
        return None
    try:
        payload = PackageIn.model_validate_json(request.body)
    except ValueError as exc:
        raise HttpError(400, '本文は {"password": "..."} の JSON です / the body must be {"password": ...}') from exc
    return payload.password


@router.post(
    "/files/{file_id}/package",
    response={400: Message, 410: Message, 500: Message, **ERRORS, 422: Invalid},
    summary="AES-256 パスワード付き ZIP を取得 / download an AES-256 password ZIP (取得 download_file)",
    description=(
        "本文 (JSON) の password を省略すると 20 文字のパスワードを生成し、応答ヘッダ X-Kokin-Package-Password で"
        "一度だけ返します / without a password one is generated and returned once in X-Kokin-Package-Password."
    ),
    openapi_extra={
        **_binary("パスワード付き ZIP / the password ZIP", "application/zip"),
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": PackageIn.model_json_schema()}},
        },
    },
)
def download_package(
    request: HttpRequest, file_id: PathEx[str, P(description="ファイル ID (UUID)")]
) -> HttpResponseBase:
    actor = api_actor(request)
    file = _downloadable(request, actor, file_id)
    password = _package_password(request)
    try:
        package = downloads.package(file, password=password)
    except ExportError as exc:
        raise HttpError(400, str(exc)) from exc
    except VaultError as exc:
        raise _broken(exc) from exc
    services.record_download(
        file=file,
        actor=actor,
        what="zip",
        sha256=package.sha256,
        detail={"format": "zip-aes256", "size": package.size},
    )
    response = downloads.file_response(
        _Package(package),
        name=downloads.package_name(file),
        size=package.size,
        sha256=package.sha256,
        content_type="application/zip",
    )
    if package.password_generated:
        response["X-Kokin-Package-Password"] = package.password
    return response
