"""The home page led by the user's roles: what the sender, the approver, the download operator, the
業務管理, the auditor and the administrator each see on it, the header menu of every page, and the mail
to the approvers when a file awaits their approval."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.test import Client

from kokin.accounts.models import DataKind, User
from kokin.audit.models import AuditEntry
from kokin.demo import ward as demo
from kokin.demo.commands import demo_mail
from kokin.exchange import services
from kokin.exchange.home import arrivals_for, awaiting_approval_for, sender_desk
from kokin.exchange.states import State
from kokin.formats.dates import wareki_text
from support.exchange import collection_file, debit_day, debit_file, operator, place, upload
from support.mail import body_of

Login = Callable[..., Client]


def kind(business: str, direction: str, label: str | None = None) -> DataKind:
    kinds = DataKind.objects.filter(business__code=business, direction=direction).order_by("pk")
    found = kinds.filter(label=label).first() if label else kinds.first()
    assert found is not None
    return found


def text(response: Any) -> str:
    """The page's main content as a reader sees it: tags removed, entities decoded, spaces folded."""
    page = response.content.decode()
    main = page[page.index("<main>") : page.index("</main>")]
    inline = re.sub(r"</?(?:a|span|strong)\b[^>]*>", "", main)  # a link's words stay in their sentence
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def menu(response: Any) -> list[str]:
    """The header's link texts, in order."""
    page = response.content.decode()
    header = page[page.index('<header class="site">') : page.index("</header>")]
    return re.findall(r"<a [^>]*>([^<]+)</a>", header)[1:]  # the first is the brand


def with_mail(username: str) -> User:
    user = User.objects.get(username=username)
    user.email = f"{username}@example.lg.jp"
    user.save(update_fields=["email"])
    return user


def request_for(out: DataKind, records: int, **changes: Any) -> bytes:
    """A debit request carrying the business's own 委託者コード (others are refused on upload)."""
    return debit_file(records, header={"consignor_code": out.business.consignor_code_list[0]}, **changes)


def test_sender_home_has_a_send_button_per_business_and_their_files_counted_by_state(login_as: Login) -> None:
    sender = User.objects.get(username="kokuho-send")
    out = kind("kokuho-furikae", "outbound")
    first = upload(out, sender, request_for(out, 3))
    upload(out, sender, request_for(out, 4, debit_date=debit_day() + dt.timedelta(days=7)))
    services.approve(file=first, actor=operator("kokuho-approve"))

    page = login_as("kokuho-send").get("/")
    shown = text(page)
    assert 'href="/files/upload/kokuho-furikae/"' in page.content.decode()
    assert "ファイルを送信 (国保・後期高齢 口座振替)" in shown
    assert "承認待ち: 1 件" in shown and "承認済 (金融機関の取得待ち): 1 件" in shown
    assert shown.count("口座振替請求データ (国民健康保険)") == 2
    assert "承認待ち 1 件" not in shown  # a sender has no approval section
    desk = sender_desk(sender)
    assert desk is not None and [b.code for b in desk.businesses] == ["kokuho-furikae"]
    assert sender_desk(User.objects.get(username="zeimu-view")) is None


def test_approver_home_shows_what_awaits_with_amount_debit_date_in_wareki_and_sender(login_as: Login) -> None:
    sender = User.objects.get(username="zeimu-send")
    day = debit_day()
    data = debit_file(3, debit_date=day, amount="0001234567")
    file = upload(kind("zeimu-furikae", "outbound"), sender, data)

    shown = text(login_as("zeimu-approve").get("/"))
    assert "承認待ち 1 件" in shown
    row = shown[shown.index("住民税 口座振替 口座振替請求データ") :]
    assert row.startswith(
        f"住民税 口座振替 口座振替請求データ 3 3,703,701 {day:%Y-%m-%d} ({wareki_text(day)}) 税務 送信担当"
    ), row[:200]
    approver = login_as("zeimu-approve")
    home = approver.get("/").content.decode()
    assert f'href="/files/{file.id}/"' in home
    # the menu's 承認待ち leads to the list of the waiting files
    waiting = re.search(r'<a href="([^"]+)">承認待ち</a>', home)
    assert waiting is not None
    assert f"/files/{file.id}/" in approver.get(html.unescape(waiting.group(1))).content.decode()
    # 国保's approver approves nothing of 税務課; the sender cannot approve their own file
    assert "承認待ち 0 件" in text(login_as("kokuho-approve").get("/"))
    assert list(awaiting_approval_for(sender)) == []


def test_approver_mail_goes_to_the_businesss_approvers_on_commit_and_is_logged(
    ward: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.WEBAUTHN_ORIGIN = "https://hub.example.lg.jp"
    with_mail("zeimu-approve")
    with_mail("kokuho-approve")
    sender = with_mail("zeimu-send")
    day = debit_day()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        file = upload(kind("zeimu-furikae", "outbound"), sender, debit_file(2, debit_date=day, holder_name="ﾔﾏﾀﾞ ﾀﾛｳ"))
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zeimu-approve@example.lg.jp"]
    assert message.subject == "[kokin] 承認待ちのファイルがあります: 住民税 口座振替 口座振替請求データ"
    assert "件数: 2 件" in message.body and f"金額: {file.total_amount:,} 円" in message.body
    assert f"引落日: {day:%Y-%m-%d} ({wareki_text(day)})" in message.body
    assert "送信者: 税務 送信担当" in message.body
    assert f"https://hub.example.lg.jp/files/{file.id}/" in message.body
    assert "ﾔﾏﾀﾞ" not in message.body
    entry = AuditEntry.objects.filter(action="exchange_notify_approval").get()
    assert entry.object == f"file:{file.id}" and entry.detail == {"recipients": 1, "sent": 1}


def test_approver_mail_reaches_a_real_smtp_server(
    ward: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with_mail("kaigo-approve")
    with django_capture_on_commit_callbacks(execute=True):
        out = kind("kaigo-furikae", "outbound")
        upload(out, User.objects.get(username="kaigo-send"), request_for(out, 2))
    [received] = smtp_server.messages
    assert received["X-Envelope-To"] == "kaigo-approve@example.lg.jp"
    assert "承認待ちのファイルがあります" in received["Subject"] and "件数: 2 件" in body_of(received)


def test_getter_home_lists_new_arrivals_with_count_amount_payment_date_and_bank(login_as: Login) -> None:
    label = "MPN済通収納データ (住民税)"
    file = place(kind("zeimu-shuno", "inbound", label), collection_file("mpn-receipt", records=3))
    first, last = (dt.date.fromisoformat(d) for d in file.summary["payment_dates"])

    shown = text(login_as("zeimu-get").get("/"))
    row = shown[shown.index(f"住民税・軽自動車税 収納 {label}") :]
    expected_date = f"{first:%Y-%m-%d} ({wareki_text(first)})"
    if last != first:
        expected_date += f" 〜 {last:%Y-%m-%d} ({wareki_text(last)})"
    assert row.startswith(f"住民税・軽自動車税 収納 {label} 3 {file.total_amount:,} {expected_date}"), row[:200]
    assert "コマンド (OS アカウント「test」)" in row  # who delivered it (here a command, not the bank link)
    [arrival] = arrivals_for(User.objects.get(username="zeimu-get"))
    assert arrival.file == file and arrival.paid_from == first


def test_business_manager_sees_the_operators_and_roles_of_their_businesses(login_as: Login) -> None:
    page = login_as("zeimu-manage").get("/")
    shown = text(page)
    section = shown[shown.index("住民税 口座振替 の操作担当者と役割") :]
    assert "zeimu-send 税務 送信担当 取得・送信 有効" in section
    assert "zeimu-approve 税務 承認担当 承認 有効" in section
    assert "kokuho-send" not in shown
    assert 'href="/accounts/grants/"' in page.content.decode()
    assert "新着の受信ファイル" not in shown  # 業務管理 sees no files


def test_auditor_and_administrator_homes_stay_as_they_were(login_as: Login) -> None:
    auditor = text(login_as("auditor").get("/"))
    assert "監査者は操作ログを閲覧できます。" in auditor
    admin = text(login_as("sysadmin").get("/"))
    assert "システム管理者は課・業務・利用者を管理します。" in admin
    for shown in (auditor, admin):
        assert "承認待ち" not in shown and "ファイルを送信" not in shown and "操作担当者と役割" not in shown


def test_header_menu_links_only_what_each_role_reaches(login_as: Login) -> None:
    def links(username: str) -> list[str]:
        return menu(login_as(username).get("/files/" if username.startswith(("zeimu", "kokuho")) else "/"))

    assert links("zeimu-send")[:4] == ["ホーム", "ファイル一覧", "送信", "新着"]
    assert links("zeimu-approve")[:3] == ["ホーム", "ファイル一覧", "承認待ち"]
    assert links("zeimu-get")[:3] == ["ホーム", "ファイル一覧", "新着"]
    assert links("zeimu-view")[:3] == ["ホーム", "ファイル一覧", "取扱規程"]
    assert links("zeimu-manage")[:2] == ["ホーム", "役割付与の申請"]
    assert links("auditor")[:2] == ["ホーム", "操作ログ"]
    assert "ファイル一覧" not in links("sysadmin") and "システム管理" in links("sysadmin")
    send = login_as("zeimu-send").get("/").content.decode()
    assert '<a href="/files/upload/zeimu-furikae/">送信</a>' in send


def test_a_business_without_files_shows_empty_sections_in_words(login_as: Login) -> None:
    shown = text(login_as("zeimu-send").get("/"))
    assert "まだ送信したファイルはありません。" in shown and "未取得の受信ファイルはありません。" in shown
    assert State.AWAITING_APPROVAL.label not in shown


FILEBASED = "django.core.mail.backends.filebased.EmailBackend"


def test_the_demo_writes_mail_to_var_mail_unless_a_backend_is_chosen(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("KOKIN_EMAIL_BACKEND", "")  # empty counts as unset; restored after the test
    monkeypatch.setenv("KOKIN_EMAIL_FILE_PATH", "")
    assert demo_mail(tmp_path) == str(tmp_path / "mail")
    assert os.environ["KOKIN_EMAIL_BACKEND"] == FILEBASED and (tmp_path / "mail").is_dir()
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setenv("KOKIN_EMAIL_BACKEND", smtp)
    assert demo_mail(tmp_path / "other") == f"{smtp} (KOKIN_EMAIL_BACKEND)"
    assert os.environ["KOKIN_EMAIL_BACKEND"] == smtp and not (tmp_path / "other").exists()


def test_demo_logins_get_an_example_address_once(ward: Any) -> None:
    User.objects.filter(username="zeimu-get").update(email="kept@ward.example.jp")
    assert demo.give_addresses() == len(demo.OPERATORS) - 1
    assert User.objects.get(username="zeimu-approve").email == "zeimu-approve@demo.example.jp"
    assert User.objects.get(username="zeimu-get").email == "kept@ward.example.jp"
    assert demo.give_addresses() == 0
