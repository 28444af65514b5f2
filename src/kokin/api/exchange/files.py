"""Listing a business's files and showing one (閲覧 view_files)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import P, PathEx, Query
from ninja.errors import HttpError

from kokin.accounts.permissions import Action
from kokin.api.auth import api_actor
from kokin.api.exchange._common import ERRORS, OPERATION, FileId, business_for, file_for, file_out, router
from kokin.api.schemas import FileOut, FilePage, FileQuery
from kokin.api.services import record_api_call
from kokin.exchange import selectors
from kokin.exchange.states import State


@router.get(
    "/businesses/{code}/files",
    response={200: FilePage, **ERRORS},
    summary="業務のファイル一覧 / the files of a business (閲覧 view_files)",
    operation_id=OPERATION + "list_files",
)
def list_files(
    request: HttpRequest,
    code: PathEx[str, P(description="業務コード / business code", example="zeimu-furikae")],
    query: Query[FileQuery],
) -> FilePage:
    actor = api_actor(request)
    business = business_for(request, actor, code, Action.VIEW_FILES)
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
    items = [file_out(f) for f in files[query.offset : query.offset + query.limit]]
    record_api_call(request, actor, business=business, detail={"count": len(items)})
    return FilePage(count=count, limit=query.limit, offset=query.offset, items=items)


@router.get(
    "/files/{file_id}",
    response={200: FileOut, **ERRORS},
    summary="ファイルの明細と集計 / a file with its summary (閲覧 view_files)",
    operation_id=OPERATION + "file_detail",
)
def file_detail(request: HttpRequest, file_id: FileId) -> FileOut:
    actor = api_actor(request)
    file = file_for(request, actor, file_id, Action.VIEW_FILES)
    record_api_call(request, actor, business=file.data_kind.business, detail={"file": str(file.id)})
    return file_out(file)
