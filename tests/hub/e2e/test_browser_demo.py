"""The README's first command, seen through a real browser: ``kokin demo`` runs the hub, the bank agent
and the bank simulator; operators of the demo ward use Debian's chromium (Playwright) over HTTPS.

One story, as the ward's staff live it: today's collection data has arrived over the bank link; the
sender uploads a broken debit request and sees why it is refused, then the sample request; a second
operator approves it; the bank collects and debits it, and the result file shows its 振替済/振替不能
summary to the sender.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.otp import code_from_secret

from .test_browser import (  # noqa: F401 - browser and page are fixtures
    Hub,
    Login,
    _first_login,
    _logout,
    browser,
    page,
)
from .test_demo import LiveDemo

DEADLINE = 240.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    live = LiveDemo(tmp_path_factory.mktemp("browser-demo"))
    try:
        yield live.start()
    finally:
        live.close()


@pytest.fixture(scope="module")
def hub(demo: LiveDemo) -> Hub:
    logins = {name: Login(password, secret) for name, (password, secret) in demo.logins.items()}
    return Hub(demo.url, demo.home, logins)


def _reload_until(tab: Any, url: str, text: str, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    seen = ""
    while time.monotonic() < deadline:
        tab.goto(url)
        seen = tab.locator("main").inner_text()
        if tab.locator("main").get_by_role("link", name=text).count():  # a file's link, not a filter option
            return
        time.sleep(2)
    raise AssertionError(f"{what}: 「{text}」 did not appear on {url} within {DEADLINE:.0f} s:\n{seen}")


def _broken(request: Path, folder: Path) -> Path:
    """The sample request with letters in the amount of its second data record (bytes 80–89)."""
    data = bytearray(request.read_bytes())
    second = 2 * 122  # header and the first data record, 120 bytes and CR LF each
    data[second + 79 : second + 89] = b"12AB567890"
    broken = folder / "broken-request.dat"
    broken.write_bytes(bytes(data))
    return broken


def test_collection_data_arrives_and_a_debit_request_comes_back_with_its_result(
    demo: LiveDemo,
    hub: Hub,
    page: Any,  # noqa: F811 - the page fixture from test_browser
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    request = demo.home / "demo" / "debit-request.dat"
    assert request.exists()

    # 税務課の取得担当: today's collection data is on the home page, delivered over the bank link
    _first_login(page, hub, "zeimu-get")
    _reload_until(page, hub.url + "/", "MPN済通収納データ (住民税)", "collection data on the home page")
    _reload_until(page, hub.url + "/", "特別徴収納入明細データ", "collection data on the home page")
    _logout(page, hub)

    # the sender: a broken request is refused with the record, field and reason; the sample is taken
    _first_login(page, hub, "zeimu-send")
    page.goto(hub.url + "/files/upload/zeimu-furikae/")
    page.set_input_files("#id_file", str(_broken(request, tmp_path)))
    page.get_by_role("button", name="検証して送信").click()
    expect(page.locator(".result.rejected")).to_contain_text("受け付けませんでした")
    # one row per kind of fault: the 項目 in Japanese, the payer of the record and how to fix it
    expect(page.locator("table.issues")).to_contain_text("引落金額")
    expect(page.locator("table.issues")).to_contain_text("レコード 3 — 顧客番号")
    expect(page.locator("table.issues")).to_contain_text("数字 (0～9) だけを入れてください")
    page.set_input_files("#id_file", str(request))
    page.get_by_role("button", name="検証して送信").click()
    expect(page.locator("ul.messages")).to_contain_text("承認担当者の承認を待っています")
    _logout(page, hub)

    # a second operator approves it
    _first_login(page, hub, "zeimu-approve")
    page.goto(hub.url + "/files/?state=awaiting_approval")
    page.get_by_role("link", name="口座振替請求データ").first.click()
    page.get_by_role("link", name="承認する").click()
    page.get_by_role("button", name="承認する").click()
    # over ¥1,000,000: the second factor again (the next time step's code: this one was used at login)
    expect(page).to_have_url(re.compile(r"/accounts/step-up/"))
    expect(page.locator("ul.messages")).to_contain_text("以上のため、承認の前に第2要素をもう一度確認してください")
    page.fill("#id_token", code_from_secret(hub.logins["zeimu-approve"].totp_secret, ahead=1))
    page.get_by_role("button", name="確認", exact=True).click()
    expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]+/approve/$"))
    page.get_by_role("button", name="承認する").click()
    expect(page.locator("main")).to_contain_text("承認済")
    _logout(page, hub)

    # the bank collects, debits and answers: the result is back, matched, with its summary
    _first_login(page, hub, "zeimu-view")
    _reload_until(page, hub.url + "/files/?direction=inbound", "口座振替結果データ", "the debit result")
    page.get_by_role("link", name="口座振替結果データ").first.click()
    expect(page.locator("tr.debit-outcome")).to_contain_text("振替済")
    expect(page.locator("main")).to_contain_text("対応する口座振替請求")
    expect(page.locator("main")).to_contain_text("振替結果コード別")
    transferred = page.locator("tr.debit-outcome td").first.inner_text()
    assert re.fullmatch(r"[\d,]+ 件", transferred.strip()), transferred
