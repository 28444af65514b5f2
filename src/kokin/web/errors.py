"""The hub's answer to an unexpected error (``handler500``): a full disk or a database that cannot be
written gets a page (or, under ``/api/`` and ``/banklink/``, a JSON error) that names the cause, in
Japanese, instead of a bare "Server Error (500)":

* a full disk (ENOSPC anywhere in the exception's chain, SQLite's "database or disk is full") → 507,
  logged as a shortage (``storage_low``, rate-limited: :func:`kokin.exchange.space.note_shortage`);
* SQLite's "database is locked" (another write held the lock past the busy timeout) → 503;
* "disk I/O error" → 503.

The page is rendered without the request's context (no session, no user, no database query), so it
can be shown while the database is what fails.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

from kokin.exchange import space

JSON_PREFIXES = ("/api/", "/banklink/")


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
    if request.path.startswith(JSON_PREFIXES):
        body = {"detail": f"{cause.title}。{cause.message} / {cause.en}", "error": {"ja": cause.title, "en": cause.en}}
        response: HttpResponse = JsonResponse(body, status=cause.status, json_dumps_params={"ensure_ascii": False})
    else:
        context = {**cause.__dict__}
        response = HttpResponse(render_to_string("kokin/unavailable.html", context), status=cause.status)
    response["Cache-Control"] = "no-store"
    if cause.status == 503:
        response["Retry-After"] = "5"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while handling the exception, so ``sys.exc_info`` has it."""
    exc = sys.exc_info()[1]
    cause = cause_of(exc)
    if cause is None:
        return django_server_error(request)
    if cause is NO_SPACE:
        space.note_shortage(reason="full", path=request.path[:200], error=space.describe(exc) if exc else "")
    return answer(request, cause)
