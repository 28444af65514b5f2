"""Each role's home page in a real browser (Debian's chromium over HTTPS) against ``kokin demo --hub-only``:
the demo ward with today's collection data placed, and the demo's mail written to ``var/mail``.

The download operator sees the new collection data with 件数, 金額 and 収納日; the sender sends the sample
debit request from the home page's button; the approver finds it on their home page with what to check,
and a mail about it in the demo's mail folder; the 業務管理 sees the operators and roles of their
business; the auditor and the administrator keep their pages; the header menu follows each role.
"""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from support.live import KOKIN, HubFailed

from .test_browser import (  # noqa: F401 - browser and page are fixtures
    Hub,
    Login,
    _first_login,
    _logout,
    browser,
    page,
)
from .test_demo import LiveDemo

AMOUNT = re.compile(r"^\d{1,3}(,\d{3})*$")
WAREKI_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \((令和|平成)\S+年\d+月\d+日\)")


class HubOnlyDemo(LiveDemo):
    """``kokin demo --hub-only``: the hub alone, with the collection data placed at the start."""

    def start(self) -> HubOnlyDemo:
        if self.running:
            return self
        self.prepare()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*KOKIN, "demo", "--hub-only", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.environ(),
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.wait_ready()
        return self


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubOnlyDemo]:
    live = HubOnlyDemo(tmp_path_factory.mktemp("browser-home"))
    try:
        yield live.start()
    except HubFailed:
        print(live.log())
        raise
    finally:
        live.close()


@pytest.fixture(scope="module")
def hub(demo: HubOnlyDemo) -> Hub:
    logins = {name: Login(password, secret) for name, (password, secret) in demo.logins.items()}
    return Hub(demo.url, demo.home, logins)


def _menu(tab: Any) -> list[str]:
    return [t.strip() for t in tab.locator("header.site nav a").all_inner_texts()]


def _mails_to(demo: HubOnlyDemo, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted((demo.home / "mail").glob("*.log")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        if address in str(message["To"]):
            found.append(message)
    return found


def test_each_role_is_led_by_its_home_page(
    demo: HubOnlyDemo,
    hub: Hub,
    page: Any,  # noqa: F811 - the page fixture from test_browser
) -> None:
    from playwright.sync_api import expect

    main = page.locator("main")

    # 取得担当: the new collection data, each with 件数, 金額, 収納日 (和暦) and who delivered it
    _first_login(page, hub, "zeimu-get")
    assert _menu(page)[:3] == ["ホーム", "ファイル一覧", "新着"]
    row = page.locator("section.arrivals tr", has_text="MPN済通収納データ (住民税)")
    expect(row).to_have_count(1)
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1] == "住民税・軽自動車税 収納" and int(cells[3].replace(",", "")) == 40, cells
    assert AMOUNT.match(cells[4]) and int(cells[4].replace(",", "")) > 1000, cells
    assert WAREKI_DATE.search(cells[5]), cells
    assert cells[6].startswith("コマンド"), cells  # placed by the demo command (no bank link here)
    _logout(page, hub)

    # 送信担当: the home page's button leads to the upload; the file then counts as 承認待ち
    _first_login(page, hub, "zeimu-send")
    page.get_by_role("link", name="ファイルを送信 (住民税 口座振替)").click()
    page.set_input_files("#id_file", str(demo.home / "demo" / "debit-request.dat"))
    page.get_by_role("button", name="検証して送信").click()
    expect(page.locator("ul.messages")).to_contain_text("承認担当者の承認を待っています")
    page.get_by_role("link", name="ホーム", exact=True).click()
    expect(page.locator("section.send")).to_contain_text("承認待ち: 1 件")
    expect(page.locator("section.send table")).to_contain_text("口座振替請求データ")
    _logout(page, hub)

    # 承認担当: 承認待ち 1 件 with the summary to check, a link to the file, and a mail in var/mail
    _first_login(page, hub, "zeimu-approve")
    assert _menu(page)[:3] == ["ホーム", "ファイル一覧", "承認待ち"]
    expect(page.locator("section.awaiting h2")).to_have_text("承認待ち 1 件")
    cells = [c.strip() for c in page.locator("section.awaiting tbody tr td").all_inner_texts()]
    assert cells[:3] == ["住民税 口座振替", "口座振替請求データ", "200"], cells
    assert AMOUNT.match(cells[3]) and WAREKI_DATE.search(cells[4]) and cells[5].startswith("税務 送信担当"), cells
    [mail] = _mails_to(demo, "zeimu-approve@demo.example.jp")
    assert "承認待ちのファイルがあります" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "件数: 200 件" in text and f"金額: {cells[3]} 円" in text and "送信者: 税務 送信担当" in text
    page.get_by_role("link", name="口座振替請求データ").click()
    expect(main).to_contain_text("承認待ち")
    _logout(page, hub)

    # 業務管理: the operators and roles of the business (view only), and the way to the grant requests
    _first_login(page, hub, "zeimu-manage")
    table = page.locator("section.managed", has_text="住民税 口座振替 の操作担当者と役割")
    expect(table.locator("tr", has_text="zeimu-send")).to_contain_text("取得・送信")
    expect(table.locator("tr", has_text="zeimu-approve")).to_contain_text("承認")
    assert "役割付与の申請" in _menu(page)
    _logout(page, hub)

    # the auditor and the administrator: as before, with their own menus
    _first_login(page, hub, "auditor")
    expect(main).to_contain_text("監査者は操作ログを閲覧できます。")
    assert "操作ログ" in _menu(page) and "ファイル一覧" not in _menu(page)
    _logout(page, hub)
    _first_login(page, hub, "sysadmin")
    expect(main).to_contain_text("システム管理者は課・業務・利用者を管理します。")
    assert "システム管理" in _menu(page) and "承認待ち" not in _menu(page)
    _logout(page, hub)
