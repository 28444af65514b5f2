"""Pages show stored codes by their Japanese names (the code stays in the element's ``title``): a
file's format, what a download handed over, who acted, the matched request of a debit result, the
operation log's actions."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from django.test import Client

from kokin.accounts.actors import bank_actor
from kokin.accounts.models import DataKind
from kokin.exchange import services
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from support.exchange import debit_day, operator, place

from .test_matching import debit, place_result, request_in

Login = Callable[..., Client]


def visible(response: Any) -> str:
    """The text a reader sees: tags (with their titles and links) removed."""
    main = re.search(r"<main>(.*)</main>", response.content.decode(), re.S)
    assert main is not None
    return html.unescape(re.sub(r"<[^>]+>", " ", main.group(1)))


def test_a_debit_result_names_its_matched_request_with_business_date_and_count(ward: Any, login_as: Login) -> None:
    date = debit_day()
    request = request_in(State.COLLECTED, date)
    result = place_result(debit(date, result=True, codes={1: "1"})).file
    assert result is not None
    response = login_as("zeimu-get").get(f"/files/{result.id}/")
    page = response.content.decode()
    cell = re.search(r'<td class="matched-request">(.*?)</td>', page, re.S)
    assert cell is not None
    assert f'<a href="/files/{request.id}/" title="{request.id}">住民税 口座振替 口座振替請求データ</a>' in cell.group(
        1
    )
    shown = visible(response)
    assert f"引落日 {date:%Y-%m-%d} (令和" in shown and "5 件・5,010 円 (request.dat、" in shown
    assert str(request.id) not in shown


def test_a_collection_file_shows_its_format_by_name_and_the_bank_by_name(ward: Any, login_as: Login) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1")
    file = place(kind)
    ExchangeFile.objects.filter(pk=file.pk).update(received_by="bank:demo-designated-bank")
    response = login_as("zeimu-get").get(f"/files/{file.id}/")
    page = response.content.decode()
    assert '<span title="mpn-receipt">MPN済通収納データ (種別コード61)</span>' in page
    assert '<span title="bank:demo-designated-bank">金融機関「demo-designated-bank」</span>' in page
    shown = visible(response)
    assert "mpn-receipt" not in shown and "bank:demo-designated-bank" not in shown


def test_the_download_record_names_a_zip_download(ward: Any, login_as: Login) -> None:
    file = place(DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1"))
    services.record_download(file=file, actor=operator("zeimu-get"), what="zip", sha256="ab" * 32)
    response = login_as("zeimu-get").get(f"/files/{file.id}/")
    assert '<span title="zip">パスワード付き ZIP</span>' in response.content.decode()
    assert re.search(r"\bzip\b", visible(response)) is None


def test_the_operation_log_names_actions_and_actors_without_their_codes(ward: Any, login_as: Login) -> None:
    request = request_in(State.APPROVED, debit_day())
    services.mark_collected(request, actor=bank_actor("demo-designated-bank"))
    client = login_as("auditor")
    response = client.get("/audit/")
    page = response.content.decode()
    assert '<span title="exchange_collect">金融機関による送信ファイルの取得</span>' in page
    assert '<span title="bank:demo-designated-bank">金融機関「demo-designated-bank」</span>' in page
    table = re.search(r'<table class="list audit">(.*?)</table>', page, re.S)
    assert table is not None
    cells = html.unescape(re.sub(r"<[^>]+>", " ", table.group(1)))
    for code in ("exchange_collect", "second_factor", "bank:demo-designated-bank", '{"'):
        assert code not in cells, code


def test_the_operation_log_names_what_each_entry_acted_on(ward: Any, login_as: Login) -> None:
    file = place(DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1"))
    page = login_as("auditor").get("/audit/").content.decode()
    assert f'<td class="object"><span title="file:{file.id}">ファイル {file.id}</span></td>' in page
    assert '<td class="object"><span title="user:auditor">利用者 auditor</span></td>' in page
    assert '<td class="object"><span title="register:roster:1">届出台帳 (従事者名簿) 1</span></td>' in page


def test_a_download_of_the_failures_only_is_named() -> None:
    from kokin.exchange.labels import download_label

    assert download_label("failures_xlsx") == "振替不能分のみ (Excel)"
    assert download_label("something_new") == "something_new"
