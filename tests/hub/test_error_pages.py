"""The hub's error pages: 400, 403, 404, 500 and a failed CSRF check answer in Japanese in the site's
layout with a way home (JSON under the API and the bank link), a refusal is logged as one line without
a traceback and once in the operation log, and the exchange and audit pages show labels for codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse

from kokin.accounts.models import User
from kokin.api.services import create_token
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.exchange.models import ExchangeFile
from kokin.formats import FORMATS
from kokin.web import error_pages, errors
from kokin.web.log_filters import RefusalWithoutTraceback
from support.exchange import sample_file

HOME_LINK = '<a class="button" href="/">ホームへ戻る</a>'

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings: Any) -> None:
    """The handlers answer only when DEBUG is off (with it on, Django shows its technical pages)."""
    settings.DEBUG = False


def page(response: Any) -> str:
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert '<html lang="ja">' in text
    assert HOME_LINK in text
    return text


# --- 404 ------------------------------------------------------------------------------------------


def test_an_unknown_page_is_a_japanese_404_with_a_way_home_for_a_visitor(ward: Any) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    text = page(response)
    assert "ページが見つかりません" in text
    assert 'href="/accounts/login/"' in text  # a visitor is also offered the login
    assert "Page not found" not in text and "<h1>Not Found</h1>" not in text


def test_an_unknown_page_is_a_japanese_404_in_the_layout_for_an_operator(login_as: Callable[..., Client]) -> None:
    client = login_as("zeimu-view")
    response = client.get("/files/no-such-page/", HTTP_REFERER="http://testserver/files/")
    assert response.status_code == 404
    text = page(response)
    assert "ページが見つかりません" in text
    assert "税務 閲覧担当" in text  # the site's header, with who is logged in
    assert '<a href="http://testserver/files/">前の画面に戻る</a>' in text


def test_a_back_link_never_leads_off_the_hub(login_as: Callable[..., Client]) -> None:
    response = login_as("zeimu-view").get("/no-such-page/", HTTP_REFERER="https://elsewhere.example/phish")
    text = page(response)
    assert "elsewhere.example" not in text
    assert "前の画面に戻る" not in text


# --- 403 ------------------------------------------------------------------------------------------


def test_a_refusal_is_a_japanese_403_naming_whom_to_ask(login_as: Callable[..., Client]) -> None:
    response = login_as("zeimu-view").get("/audit/")
    assert response.status_code == 403
    text = page(response)
    assert "この操作を行う権限がありません。業務の役割が必要な場合は業務管理者に申請してください。" in text
    assert "403 Forbidden</h1>" not in text


def test_a_refusal_shows_the_japanese_half_of_its_reason(login_as: Callable[..., Client]) -> None:
    response = login_as("zeimu-view").get("/banklink/history/")
    assert response.status_code == 403
    text = page(response)
    assert "理由: 転送履歴を閲覧する権限がありません" in text
    assert "you may not see the transfer history" not in text


def test_a_visitor_refused_is_told_to_log_in(ward: Any) -> None:
    response = Client().get("/audit/")
    assert response.status_code == 403
    text = page(response)
    assert "ログインしていないため" in text
    assert 'href="/accounts/login/"' in text


def test_a_refusal_is_logged_once_as_one_line_without_a_traceback(
    login_as: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = login_as("zeimu-view")
    before = AuditEntry.objects.filter(object="/banklink/history/").count()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/banklink/history/")
    assert response.status_code == 403
    refusals = [r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", None) == 403]
    assert len(refusals) == 1
    (refusal,) = refusals
    assert refusal.exc_info is None and refusal.exc_text is None
    assert refusal.getMessage() == (
        "Forbidden (Permission denied): /banklink/history/ "
        "(転送履歴を閲覧する権限がありません / you may not see the transfer history)"
    )
    assert "Traceback" not in caplog.text
    entries = AuditEntry.objects.filter(object="/banklink/history/").order_by("seq")
    assert entries.count() == before + 1
    assert (entries.last().action, entries.last().outcome) == ("view", "denied")  # type: ignore[union-attr]


def test_a_server_error_keeps_its_traceback_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """Only refusals lose the traceback: the filter leaves a 500's alone."""
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/x",),
            (type(exc), exc, exc.__traceback__),
        )
    record.status_code = 500
    assert RefusalWithoutTraceback().filter(record)
    assert record.exc_info is not None


# --- 400 ------------------------------------------------------------------------------------------


def test_a_bad_request_is_a_japanese_400_for_a_visitor(ward: Any) -> None:
    response = Client().get("/", HTTP_HOST="not-this-hub.example")
    assert response.status_code == 400
    text = page(response)
    assert "リクエストを処理できません" in text


def test_a_bad_request_is_a_japanese_400_for_an_operator(settings: Any, login_as: Callable[..., Client]) -> None:
    client = login_as("auditor")
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    response = client.get("/audit/?a=1&b=2&c=3&d=4&e=5")
    assert response.status_code == 400
    text = page(response)
    assert "リクエストを処理できません" in text
    assert "監査担当" in text


# --- CSRF -----------------------------------------------------------------------------------------


def test_a_failed_csrf_check_is_a_japanese_page_saying_nothing_changed(login_as: Callable[..., Client]) -> None:
    logged_in = login_as("zeimu-view")
    client = Client(enforce_csrf_checks=True)
    client.cookies = logged_in.cookies
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    text = page(response)
    assert "安全確認 (CSRF 対策) に失敗したため、送信を受け付けませんでした。何も変更していません。" in text
    assert "税務 閲覧担当" in text  # still logged in: the logout was refused
    assert client.get("/").status_code == 200


def test_a_failed_csrf_check_of_a_visitor_is_the_same_page(ward: Any) -> None:
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    text = page(response)
    assert "安全確認 (CSRF 対策) に失敗したため、送信を受け付けませんでした。" in text
    assert 'href="/accounts/login/"' in text


# --- 500 ------------------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_japanese_500_page_made_without_the_database(
    django_assert_num_queries: Any,
) -> None:
    request = RequestFactory().get("/files/", HTTP_REFERER="http://testserver/")
    with django_assert_num_queries(0):
        try:
            raise RuntimeError("unexpected")
        except RuntimeError:
            response = errors.server_error(request)
    assert response.status_code == 500
    text = page(response)
    assert "サーバーでエラーが発生しました" in text
    assert '<a href="http://testserver/">前の画面に戻る</a>' in text
    assert "Server Error (500)" not in text


@pytest.mark.parametrize("path", ["/api/businesses", "/banklink/v1/files"])
def test_an_unexpected_error_in_a_machine_interface_is_json(path: str) -> None:
    try:
        raise RuntimeError("unexpected")
    except RuntimeError:
        response = errors.server_error(RequestFactory().get(path))
    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["error"]["en"] == errors.INTERNAL.en
    assert body["detail"].startswith("サーバーでエラーが発生しました")


# --- the machine interfaces keep answering JSON ---------------------------------------------------


@pytest.mark.parametrize("path", ["/api/no-such-endpoint", "/banklink/v1/no-such-endpoint"])
def test_an_unknown_url_of_a_machine_interface_is_a_json_404(ward: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["error"] == {"ja": error_pages.NOT_FOUND.message, "en": "Not Found"}
    assert body["detail"] == f"{error_pages.NOT_FOUND.message} / Not Found"


def test_the_apis_own_404_and_403_are_still_its_json(ward: Any) -> None:
    _, token = create_token(user=User.objects.get(username="zeimu-view"), name="test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    missing = Client().get("/api/businesses/no-such-business/data-kinds", **headers)
    assert missing.status_code == 404
    assert "no business 'no-such-business'" in json.loads(missing.content)["detail"]
    refused = Client().get("/api/businesses/kokuho-furikae/data-kinds", **headers)
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/json")
    assert "detail" in json.loads(refused.content)


def test_a_refusal_that_reaches_the_handler_under_the_api_is_json(ward: Any) -> None:
    request = RequestFactory().get("/api/businesses")
    response = error_pages.permission_denied(request, PermissionDenied("x"))
    assert response.status_code == 403
    forbidden = error_pages.FORBIDDEN
    assert json.loads(response.content)["error"] == {"ja": forbidden.message, "en": forbidden.en}


def test_the_bank_links_own_errors_are_still_its_json(ward: Any) -> None:
    response = Client().get("/banklink/v1/files")
    assert response.status_code == 401
    assert set(json.loads(response.content)["error"]) == {"ja", "en"}


# --- labels instead of codes ----------------------------------------------------------------------


def test_a_files_page_shows_the_formats_name_with_the_code_in_its_title(login_as: Callable[..., Client]) -> None:
    client = login_as("zeimu-view")
    file_id = sample_file("zeimu-shuno")
    text = client.get(reverse("exchange:detail", args=[file_id])).content.decode()
    code = ExchangeFile.objects.get(pk=file_id).format
    assert f'<span title="{code}">{FORMATS[code].LAYOUT.ja}</span>' in text
    assert f"<td>{code}" not in text
    # placed by a command: the OS account, named as such
    assert '<span title="os:test">コマンド (OS アカウント「test」)</span>' in text


def test_the_audit_page_names_bank_accounts_and_actions(login_as: Callable[..., Client]) -> None:
    record(action="password_change", actor=Actor(name="bank:demo-designated-bank"), object="user:x")
    text = login_as("auditor").get("/audit/?action=password_change").content.decode()
    assert '<span title="bank:demo-designated-bank">金融機関「demo-designated-bank」</span>' in text
    assert '<span class="muted">bank:demo-designated-bank</span>' not in text  # the code only in the title
    assert '<span title="password_change">パスワードの変更</span>' in text
