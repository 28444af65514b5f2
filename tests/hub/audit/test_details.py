"""The operation log's 詳細 as Japanese sentences on the auditor's page (:mod:`kokin.audit.details`);
the CSV export keeps the JSON as stored."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kokin.audit.actor import Actor
from kokin.audit.details import describe
from kokin.audit.export import read_csv
from kokin.audit.services import record

UPLOAD = {
    "kind": "口座振替請求データ",
    "name": "request.dat",
    "size": 976,
    "errors": 0,
    "warnings": 2,
    "scan": "off",
    "mailbox": "mailbox:zeimu-furikae/6",
    "state": "awaiting_approval",
    "blob": "eac5d13a-7d70-4222-988e-40aee047e8c8",
    "confirmed": [],
}


@pytest.mark.parametrize(
    ("action", "detail", "sentence"),
    [
        ("login", {"step": "password"}, "パスワードを確認しました (続いて第2要素)。"),
        (
            "second_factor",
            {"factor": "totp", "device": "スマートフォン"},
            "認証アプリ (TOTP)「スマートフォン」で本人を確認しました。",
        ),
        ("login_failed", {"reason": "locked_out"}, "ロック中の ID のため、パスワードを確かめずに拒否しました。"),
        (
            "lockout",
            {"failures": 5, "minutes": 30},
            "ログインに 5 回続けて失敗したため、ID をロックしました (30 分間)。",
        ),
        ("view", {"status": 200}, "画面を表示しました (応答 200)。"),
        ("view", {"status": 403}, "画面の表示: 権限がないため拒否しました (応答 403)。"),
        (
            "request",
            {"status": 400, "method": "POST"},
            "画面からの操作 (POST): 入力に誤りがあり受け付けませんでした (応答 400)。",
        ),
        (
            "vault_export",
            {"format": "zip-aes256", "members": 2, "size": 552, "password": "generated"},
            "パスワード付き ZIP (AES-256) を作成しました: 2 ファイル、552 バイト、パスワードは自動生成。",
        ),
        (
            "account_change",
            {"model": "user", "op": "update", "changes": {"must_change_password": [True, False]}},
            "利用者を変更しました: 初期パスワードの変更が必要 はい → いいえ。",
        ),
        (
            "role_change",
            {"model": "roleassignment", "op": "add", "fields": {}, "business": "zeimu-furikae", "role": "approve"},
            "業務「zeimu-furikae」の役割「承認」を付与しました。",
        ),
        (
            "exchange_upload",
            UPLOAD,
            "口座振替請求データ「request.dat」(976 バイト) を受け付けました。"
            "エラー 0 件・警告 2 件、状態は「承認待ち」。",
        ),
        (
            "exchange_approve",
            {"uploaded_by": "zeimu-send", "records": 5, "amount": 12_800_000},
            "zeimu-send が送信した 5 件・12,800,000 円 を承認しました。",
        ),
        (
            "exchange_download",
            {"as": "zip", "original_sha256": "ab" * 32, "count": 2, "format": "zip-aes256", "size": 552},
            "「パスワード付き ZIP」として取得しました (2 回目)。",
        ),
        ("exchange_collect", {"records": 5}, "金融機関が 5 件 のファイルを取得しました。"),
        ("exchange_view_failures", {"records": 2, "failed": 9}, "振替不能 9 件 のうち 2 件 を画面に表示しました。"),
    ],
)
def test_main_actions_read_as_japanese_sentences(action: str, detail: dict[str, Any], sentence: str) -> None:
    assert describe(action, detail) == sentence


def test_a_change_of_a_secret_says_only_that_it_changed() -> None:
    text = describe("account_change", {"model": "user", "op": "update", "changes": {"password": "(changed)"}})
    assert text == "利用者を変更しました: password を変更。"


def test_other_details_are_listed_as_japanese_key_and_value_pairs() -> None:
    detail = {"rows": 3, "encoding": "cp932", "escaped": True, "unknown_key": None, "fields": ["a", "b"]}
    assert (
        describe("some_new_action", detail)
        == "行数: 3 / 文字コード: Shift_JIS / 数式の無効化: はい / unknown_key: なし / 登録内容: a、b"
    )


def test_a_detail_that_does_not_fit_its_phrase_falls_back_to_the_pairs() -> None:
    assert describe("exchange_approve", {"records": 5}) == "件数: 5"


def test_keys_a_phrase_does_not_use_follow_it_as_pairs() -> None:
    assert describe("view", {"status": 200, "reason": "権限なし"}) == "画面を表示しました (応答 200)。 (理由: 権限なし)"


def test_an_empty_detail_says_nothing() -> None:
    assert describe("login", {}) == ""


def test_the_auditors_page_shows_sentences_and_the_csv_keeps_the_json(
    login_as: Callable[..., Client],
) -> None:
    entry = record(action="exchange_upload", actor=Actor(name="zeimu-send"), object="file:x", detail=UPLOAD)
    client = login_as("auditor")
    page = client.get("/audit/", {"action": "exchange_upload"}).content.decode()
    assert "を受け付けました。エラー 0 件・警告 2 件、状態は「承認待ち」。" in page
    assert "&quot;mailbox&quot;: &quot;mailbox:zeimu-furikae/6&quot;" in page  # the JSON stays in the cell's title
    cell = re.search(r'<td class="detail"[^>]*>(.*?)</td>', page, re.S)
    assert (
        cell is not None and cell.group(1).startswith("口座振替請求データ「request.dat」") and "{" not in cell.group(1)
    )
    response = client.get("/audit/", {"action": "exchange_upload", "download": "csv"})
    rows = list(read_csv(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    (row,) = [r for r in rows if int(r["連番"]) == entry.seq]
    assert json.loads(next(v for k, v in row.items() if "詳細" in k)) == UPLOAD
