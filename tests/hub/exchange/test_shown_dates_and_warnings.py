"""What a stored file's page and the transfer history show: header dates with 和暦 (an MMDD as 月日, no
year guessed), stored warnings with the 項目's Japanese name and a hint, and the approvers' mail when an
approval is withdrawn and the file waits again."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, Role, RoleAssignment, User
from kokin.audit.models import AuditEntry
from kokin.banklink.models import BankAccount, BankTransfer, Direction
from kokin.exchange import services
from kokin.exchange.errors import Refused
from kokin.exchange.models import ExchangeFile
from kokin.exchange.present import batch_rows, debit_date_text, header_date_text
from kokin.exchange.states import State
from kokin.formats import FORMATS
from kokin.formats.bankmaster import master
from kokin.formats.dates import wareki_text
from kokin.formats.hints import HINTS
from support.exchange import collection_file, debit_file, operator, place, upload

Login = Callable[..., Client]


def shown(response: Any) -> str:
    """The main content as a reader sees it: tags removed, entities decoded, spaces folded."""
    page = response.content.decode()
    main = page[page.index("<main>") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


# --- dates -----------------------------------------------------------------------------------------


def test_header_dates_read_with_wareki_and_an_mmdd_gets_no_guessed_year() -> None:
    assert header_date_text("20260527") == "2026-05-27 (令和8年5月27日)"
    assert header_date_text("5080527") == "2026-05-27 (令和8年5月27日)"  # era code + YYMMDD
    assert header_date_text("1210") == "12月10日"
    assert header_date_text("0105") == "1月5日"
    assert header_date_text("20261341") == "20261341"  # not a date: as it is
    # a request's 引落日 that was never resolved keeps its MMDD without a year
    assert debit_date_text("1210", None, result=False) == "引落日 12月10日"
    assert debit_date_text("1210", "2026-12-10", result=False) == "引落日 2026-12-10 (令和8年12月10日)"


def test_a_collection_file_page_shows_its_creation_date_with_wareki(login_as: Login) -> None:
    kind = DataKind.objects.get(transfer_id="ZEIMU-SHUNO-MPN1")
    file = place(kind, collection_file("mpn-receipt", records=2))
    raw = str(file.summary["batch_list"][0]["creation_date"])
    day = dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    assert batch_rows(file.summary)[0]["date"] == f"作成日 {day:%Y-%m-%d} ({wareki_text(day)})"
    text = shown(login_as("zeimu-get").get(f"/files/{file.id}/"))
    assert f"作成日 {day:%Y-%m-%d} ({wareki_text(day)})" in text
    assert f"作成日 {raw}" not in text


def test_the_transfer_history_shows_its_dates_with_wareki(login_as: Login) -> None:
    finished = timezone.make_aware(dt.datetime(2026, 12, 3, 10, 15, 30))
    account = BankAccount.objects.create(
        name="wareki-bank",
        cert_fingerprint="00" * 32,
        token_prefix="wareki",
        token_sha256="0" * 64,
        allowed_networks="127.0.0.0/8",
        created=timezone.make_aware(dt.datetime(2026, 4, 1, 9, 0)),
        last_seen=finished,
        active=False,
        revoked_at=timezone.make_aware(dt.datetime(2026, 12, 4, 8, 0)),
    )
    BankTransfer.objects.create(
        account=account,
        direction=Direction.FROM_BANK,
        transfer_id="ZEIMU-SHUNO-MPN1",
        filename="from-bank.dat",
        started=finished,
        finished=finished,
        outcome="stored",
    )
    text = shown(login_as("auditor").get("/banklink/history/"))
    assert "2026-12-03 10:15:30 (令和8年12月3日)" in text  # finished and last seen
    assert "2026-04-01 09:00:00 (令和8年4月1日)" in text  # created
    assert "失効 (2026-12-04 08:00:00 (令和8年12月4日))" in text


# --- the stored file's warnings --------------------------------------------------------------------


def _unknown_bank_code() -> str:
    known = master().bank_known
    return next(f"{c:04d}" for c in range(1, 10000) if not known[c])


def _warnings_table(response: Any) -> str:
    page = response.content.decode()
    table = re.search(r'<table class="list issues">(.*?)</table>', page, re.S)
    assert table is not None
    return table.group(1)


@pytest.mark.parametrize("stored_label", [True, False], ids=["label-kept", "label-from-layout"])
def test_a_stored_file_names_its_warnings_fields_in_japanese_with_a_hint(login_as: Login, stored_label: bool) -> None:
    kind = DataKind.objects.get(business__code="zeimu-furikae", direction="outbound")
    file = upload(kind, User.objects.get(username="zeimu-send"), debit_file(2, bank_code=_unknown_bank_code()))
    assert file.warnings and file.warnings[0]["field"] == "bank_code"
    if not stored_label:  # a file kept before the label was stored: named from its layout
        ExchangeFile.objects.filter(pk=file.pk).update(
            warnings=[{k: v for k, v in w.items() if k != "label"} for w in file.warnings]
        )
    table = _warnings_table(login_as("zeimu-send").get(f"/files/{file.id}/"))
    cells = html.unescape(re.sub(r"<[^>]+>", " ", table))
    ja = FORMATS["zengin-debit"].LAYOUT.kind("data").field("bank_code").ja
    assert f'<span title="bank_code">{ja}</span>' in table
    assert "bank_code" not in cells and "直し方" in cells
    assert HINTS["unknown_code"] in cells


# --- the mail when an approval is withdrawn --------------------------------------------------------


def _with_mail(username: str) -> User:
    user = User.objects.get(username=username)
    user.email = f"{username}@example.lg.jp"
    user.save(update_fields=["email"])
    return user


def test_withdrawing_an_approval_mails_the_business_s_approvers_again(
    ward: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.WEBAUTHN_ORIGIN = "https://hub.example.lg.jp"
    _with_mail("zeimu-approve")
    _with_mail("kokuho-approve")
    other = User.objects.create_user(
        username="zeimu-approve2", password="Kokin-Strong-Pass-2025", email="a2@example.lg.jp"
    )
    RoleAssignment.objects.create(user=other, business=Business.objects.get(code="zeimu-furikae"), role=Role.APPROVE)
    sender = _with_mail("zeimu-send")
    kind = DataKind.objects.get(business__code="zeimu-furikae", direction="outbound")
    with django_capture_on_commit_callbacks(execute=True):
        file = upload(kind, sender)
        services.approve(file=file, actor=operator("zeimu-approve"))
    mail.outbox.clear()
    notices = AuditEntry.objects.filter(action="exchange_notify_approval").order_by("pk")
    before = notices.count()

    # refused: nothing is mailed
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused):
        services.withdraw_approval(file=file, actor=operator("zeimu-approve2"), reason="念のため")
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_approval(file=file, actor=operator("zeimu-approve"), reason="引落日の誤り")
    file.refresh_from_db()
    assert file.state == State.AWAITING_APPROVAL
    assert sorted(m.to[0] for m in mail.outbox) == ["a2@example.lg.jp", "zeimu-approve@example.lg.jp"]
    message = mail.outbox[0]
    assert message.subject == "[kokin] 承認待ちのファイルがあります: 住民税 口座振替 口座振替請求データ"
    assert "承認が取り消されたため、もう一度承認が必要です" in message.body
    assert f"https://hub.example.lg.jp/files/{file.id}/" in message.body
    assert "引落日の誤り" not in message.body  # the reason stays on the hub
    assert notices.count() == before + 1
    entry = notices.last()
    assert entry is not None and entry.object == f"file:{file.id}"
    assert entry.detail == {"recipients": 2, "sent": 2, "again": True}


def test_the_security_page_shows_when_a_second_factor_was_registered_with_wareki(login_as: Login) -> None:
    client = login_as("zeimu-send")
    text = shown(client.get("/accounts/security/"))
    today = timezone.localdate()
    assert f"{today:%Y-%m-%d}" in text and f"({wareki_text(today)})" in text
