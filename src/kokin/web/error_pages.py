"""The hub's pages for a request it refuses or cannot find (``handler400``, ``handler403``,
``handler404``, ``CSRF_FAILURE_VIEW``): the reason in plain Japanese, in the site's layout, with a way
home and back, instead of Django's bare English pages. The machine interfaces (``/api/``, the bank
link's ``/banklink/v1/``) get the same answer as JSON (:func:`kokin.web.errors.json_error`).

Nothing is logged here: Django's ``django.request`` logger already writes one line per refusal (its
traceback dropped by :mod:`kokin.web.log_filters`), and the operation log's entry (outcome denied)
is :class:`kokin.accounts.middleware.PageViewLogMiddleware`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kokin.web.errors import back_link, json_error, wants_json


@dataclass(frozen=True)
class Refusal:
    status: int
    title: str
    message: str
    advice: str
    en: str


BAD_REQUEST = Refusal(
    400,
    "リクエストを処理できません",
    "送信された内容が正しくないため、処理できませんでした。",
    "画面を開き直してから、もう一度操作してください。",
    "Bad Request",
)
FORBIDDEN = Refusal(
    403,
    "この操作はできません",
    "この操作を行う権限がありません。業務の役割が必要な場合は業務管理者に申請してください。",
    "",
    "Forbidden: you may not do this",
)
NOT_LOGGED_IN = Refusal(
    403,
    "この操作はできません",
    "ログインしていないため、この画面は表示できません。",
    "ログインしてから、もう一度操作してください。",
    "Forbidden: log in first",
)
NOT_FOUND = Refusal(
    404,
    "ページが見つかりません",
    "お探しのページは見つかりませんでした。アドレス (URL) が正しいか確かめてください。",
    "ファイルが消去された・取り下げられた場合も、そのページは表示されなくなります。",
    "Not Found",
)
CSRF_FAILED = Refusal(
    403,
    "送信を受け付けられませんでした",
    "安全確認 (CSRF 対策) に失敗したため、送信を受け付けませんでした。何も変更していません。",
    "長く開いたままの画面や、ログインし直す前に開いた画面から送信すると起こります。"
    "画面を開き直してから、もう一度操作してください。",
    "Forbidden: CSRF verification failed; nothing was changed",
)


def answer(request: HttpRequest, refusal: Refusal, reason: str = "") -> HttpResponse:
    if wants_json(request):
        return json_error(refusal.status, refusal.message, refusal.en)
    context = {**refusal.__dict__, "reason": reason, "back": back_link(request)}
    return render(request, "kokin/error.html", context, status=refusal.status)


def reason_of(exception: BaseException | None) -> str:
    """The Japanese half of a refusal's message (the hub writes them as ``日本語 / English``)."""
    text = str(exception or "").strip()
    return text.split(" / ", 1)[0].strip()


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return answer(request, BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    user = getattr(request, "user", None)
    if not wants_json(request) and (user is None or not user.is_authenticated):
        return answer(request, NOT_LOGGED_IN)
    reason = reason_of(exception)
    return answer(request, FORBIDDEN, reason if reason != FORBIDDEN.message else "")


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    # the exception is not shown: a resolver's says which URL patterns exist
    return answer(request, NOT_FOUND)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Django's reason ("CSRF token missing.") is for the log, where Django writes it
    return answer(request, CSRF_FAILED)
