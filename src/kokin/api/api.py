"""The API's endpoints, mounted at ``/api/``; the OpenAPI document is ``/api/openapi.json``.

Each endpoint parses input, asks :mod:`kokin.accounts.permissions` (through the selectors), logs the
call in the operation log and returns. No interactive docs page: it would load its script from a CDN,
and the LGWAN has none.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, P, PathEx, Query
from ninja.errors import AuthenticationError, HttpError

from kokin.accounts.models import Business, User
from kokin.accounts.permissions import Action, can
from kokin.api import selectors
from kokin.api.auth import TokenAuth, api_actor, deny
from kokin.api.schemas import (
    CODE_PATTERN,
    AuditEntryOut,
    AuditPage,
    AuditQuery,
    BusinessOut,
    BusinessRolesOut,
    DataKindOut,
    DepartmentOut,
    Invalid,
    MeOut,
    Message,
    RoleOut,
)
from kokin.api.services import record_api_call

UNAUTHORIZED = "有効な API トークンが必要です / A valid API token is required (Authorization: Bearer kk_…)"

api = NinjaAPI(
    title="kokin 公金収納ネットワークサービス API",
    version="1",
    description=(
        "業務ごとの役割は画面と同じです。トークンは `kokin token create` で発行します。\n"
        "The same roles per business apply as in the web UI. Tokens are issued by `kokin token create`."
    ),
    urls_namespace="api",
    docs_url=None,
    auth=TokenAuth(),
)

ERRORS: dict[int, type[Message] | type[Invalid]] = {401: Message, 403: Message, 422: Invalid}


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": UNAUTHORIZED}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def _department(business: Business) -> DepartmentOut:
    return DepartmentOut(code=business.department.code, name=business.department.name)


@api.get("/me", response={200: MeOut, **ERRORS}, summary="自分の情報と業務ごとの役割 / who am I, my roles")
def me(request: HttpRequest) -> MeOut:
    actor = api_actor(request)
    user: User = actor.user
    grouped: dict[int, BusinessRolesOut] = {}
    for assignment in selectors.role_assignments(user):
        business = assignment.business
        entry = grouped.setdefault(
            business.pk,
            BusinessRolesOut(code=business.code, name=business.name, department=_department(business), roles=[]),
        )
        entry.roles.append(RoleOut(role=assignment.role, label=assignment.get_role_display()))
    department = user.department
    record_api_call(request, actor)
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        department=DepartmentOut(code=department.code, name=department.name) if department else None,
        is_system_admin=user.is_system_admin,
        is_auditor=user.is_auditor,
        businesses=list(grouped.values()),
    )


@api.get(
    "/businesses",
    response={200: list[BusinessOut], **ERRORS},
    summary="操作できる業務と許される操作 / businesses I may act on, with the actions",
)
def businesses(request: HttpRequest) -> list[BusinessOut]:
    actor = api_actor(request)
    visible = selectors.visible_businesses(actor.user)
    record_api_call(request, actor, detail={"count": len(visible)})
    return [
        BusinessOut(
            code=v.business.code,
            name=v.business.name,
            department=_department(v.business),
            actions=[a.value for a in v.actions],
        )
        for v in visible
    ]


@api.get(
    "/businesses/{code}/data-kinds",
    response={200: list[DataKindOut], 404: Message, **ERRORS},
    summary="業務のデータ種別 / the data kinds of a business (閲覧 view_files)",
)
def data_kinds(
    request: HttpRequest,
    code: PathEx[str, P(description="業務コード / business code", example="zeimu-furikae")],
) -> list[DataKindOut]:
    actor = api_actor(request)
    business = selectors.business_by_code(code) if _is_code(code) else None
    if business is None:
        raise HttpError(404, f"業務 {code!r} はありません / no business {code!r}")
    if not can(actor.user, Action.VIEW_FILES, business):
        raise deny(request, actor, business)
    kinds = list(selectors.data_kinds_of(business))
    record_api_call(request, actor, business=business, detail={"count": len(kinds)})
    return [
        DataKindOut(
            format=k.format,
            direction=k.direction,
            direction_label=k.get_direction_display(),
            label=k.label,
            yearly_volume=k.yearly_volume,
        )
        for k in kinds
    ]


def _is_code(code: str) -> bool:
    return re.fullmatch(CODE_PATTERN, code) is not None


def _utc(value: datetime | None, name: str) -> datetime | None:
    """An aware UTC datetime (a naive one is read in the hub's time zone); 422 if it cannot be one."""
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise HttpError(422, f"{name} の日時が範囲外です / {name} is out of range") from exc


@api.get(
    "/audit/entries",
    response={200: AuditPage, **ERRORS},
    summary="操作ログ (監査者のみ) / the operation log (auditor only)",
)
def audit_entries(request: HttpRequest, query: Query[AuditQuery]) -> AuditPage:
    actor = api_actor(request)
    if not can(actor.user, Action.READ_AUDIT):
        raise deny(request, actor)
    entries = selectors.audit_entries(
        since=_utc(query.since, "since"), until=_utc(query.until, "until"), actor=query.actor, action=query.action
    )
    count = entries.count()
    items = list(entries[query.offset : query.offset + query.limit])
    record_api_call(
        request,
        actor,
        detail={"count": len(items), **query.model_dump(exclude_defaults=True, mode="json")},
    )
    return AuditPage(
        count=count,
        limit=query.limit,
        offset=query.offset,
        items=[AuditEntryOut.model_validate(e) for e in items],
    )


def _mount_routers() -> None:
    """Routers of other apps, imported here so that they can use this module's ``api``."""
    from kokin.api.exchange import router as exchange_router

    api.add_router("", exchange_router)


_mount_routers()
