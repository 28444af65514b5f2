"""The hub's answer to an unexpected error (``handler500``): a page in Japanese with a way back (or,
under ``/api/`` and the bank link's ``/banklink/v1/``, a JSON error) instead of a bare "Server Error
(500)". A full disk or a database that cannot be written is named as the cause:

* a full disk (ENOSPC anywhere in the exception's chain, SQLite's "database or disk is full") → 507,
  logged as a shortage (``storage_low``, rate-limited: :func:`kokin.exchange.space.note_shortage`);
* SQLite's "database is locked" (another write held the lock past the busy timeout) → 503;
* "disk I/O error" → 503;
* any other error → 500, "サーバーでエラーが発生しました".

The page is rendered without the request's context (no session, no user, no database query), so it
can be shown while the database is what fails.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass

from django.core.exceptions import DisallowedHost
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from kokin.exchange import space

#: the machine interfaces: the API and the bank link's HTTP API (its history page is a page)
JSON_PREFIXES = ("/api/", "/banklink/v1/")


@dataclass(frozen=True)
class Cause:
    status: int
    title: str
    message: str
    advice: str
    en: str


NO_SPACE = Cause(
    507,
    "保存領域が不足しています",
    "ハブの保存領域 (ディスク) が不足しているため、処理を完了できませんでした。"
    "送信中のファイルは受け付けていません (何も保管していません)。",
    "システム管理者に連絡してください。空き領域が確保されたら、もう一度操作してください。",
    "Insufficient Storage: the hub's disk is full; nothing was stored",
)
LOCKED = Cause(
    503,
    "データベースが混み合っています",
    "ほかの処理がデータベースに書き込み中のため、処理を完了できませんでした (database is locked)。",
    "しばらく待ってから、もう一度操作してください。続く場合はシステム管理者に連絡してください。",
    "Service Unavailable: the database is locked by another write; try again shortly",
)
IO_ERROR = Cause(
    503,
    "保存領域の読み書きに失敗しました",
    "ハブの保存領域 (ディスク) の読み書きに失敗したため、処理を完了できませんでした (disk I/O error)。",
    "システム管理者に連絡してください。",
    "Service Unavailable: a disk I/O error on the hub",
)
INTERNAL = Cause(
    500,
    "サーバーでエラーが発生しました",
    "処理中に予期しないエラーが発生したため、処理を完了できませんでした。",
    "時間をおいて、もう一度操作してください。続く場合は、操作した日時と画面を添えてシステム管理者に連絡してください。",
    "Internal Server Error: an unexpected error on the hub",
)


def wants_json(request: HttpRequest) -> bool:
    """Whether the request came to a machine interface, which is answered in JSON, never a page."""
    return request.path.startswith(JSON_PREFIXES)


def json_error(status: int, ja: str, en: str) -> JsonResponse:
    """An error as both machine interfaces read it: the API's ``detail`` and the bank link's ``error``."""
    body = {"detail": f"{ja} / {en}", "error": {"ja": ja, "en": en}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def back_link(request: HttpRequest) -> str:
    """The page the user came from (``Referer``) when it is on this hub, else "" (no link)."""
    referer = str(request.META.get("HTTP_REFERER", ""))
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure()):
        return referer
    return ""


def cause_of(exc: BaseException | None) -> Cause | None:
    """The cause a page can name (from anywhere in the exception's chain), None for any other error."""
    if space.is_no_space(exc):
        return NO_SPACE
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).lower()
        if isinstance(exc, OperationalError | sqlite3.OperationalError):
            if "database is locked" in text:
                return LOCKED
            if "disk i/o error" in text:
                return IO_ERROR
        exc = exc.__cause__ or exc.__context__
    return None


def answer(request: HttpRequest, cause: Cause) -> HttpResponse:
    if wants_json(request):
        response: HttpResponse = json_error(cause.status, f"{cause.title}。{cause.message}", cause.en)
    else:
        context = {**cause.__dict__, "back": back_link(request)}
        response = HttpResponse(render_to_string("kokin/unavailable.html", context), status=cause.status)
    response["Cache-Control"] = "no-store"
    if cause.status == 503:
        response["Retry-After"] = "5"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the exception, so ``sys.exc_info`` has it."""
    exc = sys.exc_info()[1]
    cause = cause_of(exc) or INTERNAL
    if cause is NO_SPACE:
        space.note_shortage(reason="full", path=request.path[:200], error=space.describe(exc) if exc else "")
    return answer(request, cause)
