"""The hub on a phone-sized screen (375 px wide) and the password-protected ZIP form, in Debian's
chromium over HTTPS (the fixtures of :mod:`.test_browser`).

At 375 px no page of a logged-in operator scrolls sideways as a whole: a wide table scrolls inside
its own box and keeps its header cells on one line. The screenshots are kept in the test's tmp dir.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_browser import (  # noqa: F401 - browser and hub are fixtures
    Hub,
    _first_login,
    _logout,
    browser,
    hub,
)

WIDTH = 375

#: the number of text lines of each header cell of the page's list tables
HEADER_LINES = """() => Array.from(document.querySelectorAll("table.list thead th")).map((th) => {
  const range = document.createRange();
  range.selectNodeContents(th);
  const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
  return [th.textContent.trim(), tops.size];
})"""


@pytest.fixture(scope="module")
def placed(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: F811
    """A debit result placed in 税務課's mailbox with ``kokin exchange place``; its file id."""
    from support.exchange import debit_file

    folder = tmp_path_factory.mktemp("placed")
    (folder / "result.dat").write_bytes(debit_file(3, result=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(KOKIN_HOME=str(hub.home), DJANGO_SETTINGS_MODULE="kokin.web.settings", HOME=str(hub.home))
    kokin = str(Path(sys.executable).with_name("kokin"))
    done = subprocess.run(
        [kokin, "exchange", "place", str(folder / "result.dat"), "--business", "zeimu-furikae"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"placed: ([0-9a-f-]{36})", done.stdout)
    assert found is not None, done.stdout
    return found.group(1)


def _tab(chromium: Any, **options: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **options)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    yield tab
    context.close()
    assert not problems, f"script errors or CSP violations in the browser: {problems}"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811 - the browser fixture from test_browser
    yield from _tab(browser, viewport={"width": WIDTH, "height": 812}, is_mobile=True, has_touch=True)


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:  # noqa: F811 - the browser fixture from test_browser
    yield from _tab(browser, permissions=["clipboard-read", "clipboard-write"])


def _check_narrow(tab: Any, url: str, shot: Path) -> None:
    tab.goto(url)
    tab.screenshot(path=str(shot), full_page=True)
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{url} is {width} px wide at {WIDTH} px (screenshot {shot})"
    wrapped = [(text, lines) for text, lines in tab.evaluate(HEADER_LINES) if lines > 1]
    assert not wrapped, f"{url}: header cells wrap over several lines: {wrapped} (screenshot {shot})"


def test_main_pages_have_no_sideways_scroll_at_375_px(
    hub: Hub,  # noqa: F811 - the hub fixture from test_browser
    phone: Any,
    placed: str,
    tmp_path: Path,
) -> None:
    _first_login(phone, hub, "zeimu-get")
    pages = {
        "home": "/",
        "file-list": "/files/",
        "file-detail": f"/files/{placed}/",
        "download": f"/files/{placed}/download/",
        "certificates": "/files/certificates/",
    }
    for name, path in pages.items():
        _check_narrow(phone, hub.url + path, tmp_path / f"{name}-{WIDTH}px.png")
    tables = phone.locator("table.list")
    phone.goto(f"{hub.url}/files/{placed}/")
    assert tables.count() >= 3  # the facts, the totals and the history are all there, each in its box
    _logout(phone, hub)

    _first_login(phone, hub, "auditor")
    _check_narrow(phone, hub.url + "/audit/", tmp_path / f"audit-log-{WIDTH}px.png")
    details = phone.locator("table.audit td.detail").all_inner_texts()
    assert "認証アプリ (TOTP)「認証アプリ (デモ)」で本人を確認しました。" in details, details[:5]
    assert not [d for d in details if d.startswith("{")], details[:5]
    print(f"screenshots at {WIDTH} px: {tmp_path}")


def test_zip_form_hides_the_typed_password_for_a_generated_one_and_offers_a_copy_button(
    hub: Hub,  # noqa: F811 - the hub fixture from test_browser
    desk: Any,
    placed: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    _first_login(desk, hub, "zeimu-send")
    desk.goto(f"{hub.url}/files/{placed}/download/")
    form = desk.locator("form.package")
    generate = form.get_by_label("自動生成する (20 文字、表示は一度だけ)")
    typed = form.get_by_label("自分で入力する")
    expect(generate).to_be_checked()
    expect(form.locator("#id_password")).to_be_hidden()
    expect(form.locator("#id_password_again")).to_be_hidden()
    # each radio button sits on the line of its label
    for radio in (generate, typed):
        box = radio.bounding_box()
        label = form.locator(f"label[for={radio.get_attribute('id')}]").bounding_box()
        assert box is not None and label is not None
        assert label["y"] <= box["y"] + box["height"] / 2 <= label["y"] + label["height"]
    typed.check()
    expect(form.locator("#id_password")).to_be_visible()
    expect(form.locator("#id_password_again")).to_be_visible()
    generate.check()
    expect(form.locator("#id_password")).to_be_hidden()
    expect(desk.locator("main")).to_contain_text("別の経路")
    expect(desk.locator("main")).to_contain_text("PPAP")
    desk.screenshot(path=str(tmp_path / "zip-form.png"), full_page=True)

    form.get_by_role("button", name="ZIP を作成").click()
    password = desk.locator("#zip-password").inner_text().strip()
    assert re.fullmatch(r"\S{20}", password), password
    copy = desk.get_by_role("button", name="パスワードをコピー")
    expect(copy).to_be_visible()
    copy.click()
    expect(desk.locator(".copy-status")).to_have_text("コピーしました。")
    assert desk.evaluate("navigator.clipboard.readText()") == password
    expect(desk.locator("main")).to_contain_text("別の経路")
    desk.screenshot(path=str(tmp_path / "zip-password.png"), full_page=True)
    _logout(desk, hub)
