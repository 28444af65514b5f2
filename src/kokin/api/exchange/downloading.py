"""Downloads (取得 download_file): the original file, its data records as CSV, or an AES-256 password
ZIP. Each is a POST: it is counted and makes a new file 取得済 (no GET changes a file)."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponseBase
from ninja import Query
from ninja.errors import HttpError

from kokin.accounts.permissions import Action
from kokin.api.auth import api_actor
from kokin.api.exchange._common import ERRORS, OPERATION, FileId, file_for, router
from kokin.api.schemas import CsvQuery, Invalid, Message, PackageIn
from kokin.audit.actor import Actor
from kokin.exchange import downloads, services
from kokin.exchange.errors import Quarantined
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats.tabular import Headers
from kokin.vault.errors import ExportError, VaultError

WHY_POST = (
    "取得は回数を数え、新着のファイルを取得済にするため POST です (GET はファイルを変えません) / a download "
    "is counted and makes a new file downloaded, so it is a POST (no GET changes a file)."
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


def _downloadable(request: HttpRequest, actor: Actor, file_id: str) -> ExchangeFile:
    file = file_for(request, actor, file_id, Action.DOWNLOAD_FILE)
    if file.state == State.ERASED:
        raise HttpError(410, "このファイルは消去済みです / the file has been erased")
    if file.state == State.QUARANTINED:
        raise HttpError(403, str(Quarantined()))
    return file


def _broken(exc: VaultError) -> HttpError:
    return HttpError(500, str(exc))


@router.post(
    "/files/{file_id}/original",
    response={410: Message, 500: Message, **ERRORS},
    summary="元のファイルを取得 / download the original file (取得 download_file)",
    description=WHY_POST,
    openapi_extra=_binary("元のファイル / the original file"),
    operation_id=OPERATION + "download_original",
)
def download_original(request: HttpRequest, file_id: FileId) -> HttpResponseBase:
    actor = api_actor(request)
    file = _downloadable(request, actor, file_id)
    try:
        reader = downloads.open_original(file)
    except VaultError as exc:
        raise _broken(exc) from exc
    services.record_download(file=file, actor=actor, what="original", sha256=file.sha256)
    return downloads.file_response(reader, name=file.original_name, size=file.size, sha256=file.sha256)


@router.post(
    "/files/{file_id}/csv",
    response={410: Message, 500: Message, **ERRORS, 422: Invalid},
    summary="データレコードを CSV で取得 / download the data records as CSV (取得 download_file)",
    description=WHY_POST,
    openapi_extra=_binary("CSV (cp932 または UTF-8 BOM付き)", "text/csv"),
    operation_id=OPERATION + "download_csv",
)
def download_csv(request: HttpRequest, file_id: FileId, query: Query[CsvQuery]) -> HttpResponseBase:
    actor = api_actor(request)
    file = _downloadable(request, actor, file_id)
    try:
        spool, digest, size = downloads.csv_export(file, encoding=query.encoding, headers=cast(Headers, query.headers))
    except VaultError as exc:
        raise _broken(exc) from exc
    detail = {"encoding": query.encoding, "headers": query.headers}
    services.record_download(file=file, actor=actor, what="csv", sha256=digest, detail=detail)
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
    operation_id=OPERATION + "download_package",
)
def download_package(request: HttpRequest, file_id: FileId) -> HttpResponseBase:
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
