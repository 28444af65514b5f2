"""The file exchange through its pages: upload → approve → collected by the bank, bad input of every
kind, duplicates and warnings that need confirmation, the debit-date rule, withdrawal, permissions.

Runs on SQLite and, with ``DATABASE_URL=postgres://…``, on PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kokin.accounts.actors import user_actor
from kokin.accounts.models import Business, DataKind, Role, RoleAssignment, User
from kokin.audit.models import AuditEntry
from kokin.audit.services import check
from kokin.exchange import services, states
from kokin.exchange.checks import check_file
from kokin.exchange.errors import IllegalTransition, Refused
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.selectors import files_for_bank
from kokin.exchange.states import TRANSITIONS, State
from kokin.formats import bankdays
from kokin.formats.bankmaster import master
from kokin.formats.hints import HINTS
from kokin.vault.models import Blob
from kokin.vault.services import read_all
from support.exchange import (
    BANK_AGENT,
    DEBIT_HEADER,
    TEST_ACTOR,
    collection_file,
    debit_day,
    debit_file,
    operator,
    place,
    upload,
)

Login = Callable[..., Client]
BOUNDARY = "kokinTestBoundary7MA4YWxkTrZu0gW"


def kind(business: str, direction: str, label: str | None = None) -> DataKind:
    kinds = DataKind.objects.filter(business__code=business, direction=direction).order_by("pk")
    return kinds.get(label=label) if label else kinds.first()  # type: ignore[return-value]


def outbound() -> DataKind:
    return kind("zeimu-furikae", DataKind.Direction.OUTBOUND)


def inbound() -> DataKind:
    return kind("zeimu-furikae", DataKind.Direction.INBOUND)


def multipart(fields: dict[str, str], filename: str, data: bytes) -> bytes:
    """A multipart/form-data body with the file name exactly as given (the test client would clean it)."""
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    out.write(data)
    out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def post_upload(
    client: Client, data: bytes, *, filename: str = "request.dat", business: str = "zeimu-furikae", **fields: str
) -> Any:
    body = multipart({"data_kind": str(outbound().pk), **fields}, filename, data)
    return client.generic(
        "POST",
        f"/files/upload/{business}/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def text(response: Any) -> str:
    return response.content.decode()


def nothing_stored() -> bool:
    return not ExchangeFile.objects.exists() and not Blob.objects.exists()


def last(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).order_by("-seq").first()
    assert entry is not None, action
    return entry


# --- the lifecycle ---------------------------------------------------------------------------------


def test_transition_table_is_the_only_way_and_erased_is_final() -> None:
    assert TRANSITIONS[State.ERASED] == frozenset() and TRANSITIONS[State.REJECTED] == frozenset()
    for state in State:
        for target in State:
            if target in TRANSITIONS[state]:
                states.check(state, target)
            else:
                with pytest.raises(IllegalTransition) as err:
                    states.check(state, target)
                assert state.label in err.value.message_ja and target.label in err.value.message_ja


def test_upload_approve_and_bank_collection(login_as: Login) -> None:
    sender = login_as("zeimu-send")
    data = debit_file(5)
    response = post_upload(sender, data)
    assert response.status_code == 302, text(response)
    file = ExchangeFile.objects.get()
    assert response["Location"] == f"/files/{file.id}/"
    assert file.state == State.AWAITING_APPROVAL and file.direction == DataKind.Direction.OUTBOUND
    assert file.uploaded_by == User.objects.get(username="zeimu-send")
    assert [h["state"] for h in file.history] == ["received", "validated", "awaiting_approval"]
    assert file.total_count == 5 and file.total_amount == sum(1000 + i for i in range(5))
    assert file.summary["by_bank_code"] == {"0001": {"count": 5, "amount": file.total_amount}}
    assert (
        file.debit_date == debit_day()
        and file.consignor_code == DEBIT_HEADER["consignor_code"]
        and file.mode == "request"
    )
    assert read_all(file.blob) == data and file.blob.sha256 == file.sha256
    assert list(files_for_bank()) == []  # not before the approval

    approver = login_as("zeimu-approve")
    page = approver.get(f"/files/{file.id}/approve/")
    assert page.status_code == 200
    assert "承認する" in text(page) and "引落金融機関別" in text(page) and file.sha256 in text(page)
    assert approver.post(f"/files/{file.id}/approve/", {"decision": "approve"}).status_code == 302
    file.refresh_from_db()
    assert file.state == State.APPROVED and file.approved_by == User.objects.get(username="zeimu-approve")
    assert list(files_for_bank()) == [file]

    services.mark_collected(file, actor=BANK_AGENT)
    file.refresh_from_db()
    assert file.state == State.COLLECTED and file.collected_by == "bank-agent" and list(files_for_bank()) == []
    for action in ("exchange_upload", "exchange_approve", "exchange_collect"):
        assert last(action).sha256 == file.sha256 and last(action).outcome == "success"
    assert check().ok


def test_the_uploader_cannot_approve_their_own_file(login_as: Login, ward: Any) -> None:
    sender = User.objects.get(username="zeimu-send")
    furikae = Business.objects.get(code="zeimu-furikae")
    file = upload(outbound(), sender)
    # no one holds 送信 and 承認 together (separation of duties): the sender becomes an approver later
    RoleAssignment.objects.filter(user=sender, business=furikae, role=Role.UPLOAD).delete()
    RoleAssignment.objects.create(user=sender, business=furikae, role=Role.APPROVE)
    client = login_as("zeimu-send")
    page = client.get(f"/files/{file.id}/approve/")
    assert "自分では承認できません" in text(page)
    response = client.post(f"/files/{file.id}/approve/", {"decision": "approve"})
    assert response.status_code == 409 and "自分が送信したファイルは承認できません" in text(response)
    file.refresh_from_db()
    assert file.state == State.AWAITING_APPROVAL and file.approved_by is None
    assert last("exchange_approve").outcome == "denied"
    with pytest.raises(Refused):
        services.approve(file=file, actor=user_actor(sender))


def test_illegal_transitions_are_refused_with_409(login_as: Login, ward: Any) -> None:
    arrived = place(inbound())
    approver = login_as("zeimu-approve")
    response = approver.post(f"/files/{arrived.id}/approve/", {"decision": "approve"})
    assert response.status_code == 409 and "承認済" in text(response)
    getter = login_as("zeimu-get")
    response = getter.post(f"/files/{arrived.id}/inspect/")  # not downloaded yet
    assert response.status_code == 409
    pending = upload(outbound(), User.objects.get(username="zeimu-send"))
    with pytest.raises(IllegalTransition):
        services.mark_collected(pending, actor=BANK_AGENT)
    arrived.refresh_from_db()
    pending.refresh_from_db()
    assert arrived.state == State.AVAILABLE and pending.state == State.AWAITING_APPROVAL


def test_withdrawal_before_collection_is_logged_and_after_it_refused(login_as: Login, ward: Any) -> None:
    sender = User.objects.get(username="zeimu-send")
    first = upload(outbound(), sender)
    client = login_as("zeimu-send")
    assert client.get(f"/files/{first.id}/withdraw/").status_code == 200
    response = client.post(f"/files/{first.id}/withdraw/", {"reason": "引落日の誤り"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == State.WITHDRAWN and first.withdraw_reason == "引落日の誤り"
    assert last("exchange_withdraw").detail["reason"] == "引落日の誤り"

    second = upload(outbound(), sender, debit_file(2))
    services.approve(file=second, actor=operator("zeimu-approve"))
    services.mark_collected(second, actor=BANK_AGENT)
    response = client.post(f"/files/{second.id}/withdraw/", {"reason": "遅すぎる"})
    assert response.status_code == 409
    second.refresh_from_db()
    assert second.state == State.COLLECTED


def test_the_approver_can_send_a_file_back(login_as: Login, ward: Any) -> None:
    file = upload(outbound(), User.objects.get(username="zeimu-send"))
    client = login_as("zeimu-approve")
    response = client.post(f"/files/{file.id}/approve/", {"decision": "return", "reason": "金額を確認"})
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.state == State.WITHDRAWN and file.withdrawn_by == User.objects.get(username="zeimu-approve")


def _approved(approver: str = "zeimu-approve") -> ExchangeFile:
    file = upload(outbound(), User.objects.get(username="zeimu-send"))
    services.approve(file=file, actor=operator(approver))
    file.refresh_from_db()
    return file


def test_the_approver_withdraws_their_own_approval_before_the_bank_collects(login_as: Login, ward: Any) -> None:
    file = _approved()
    client = login_as("zeimu-approve")
    assert "承認を取り消す" in text(client.get(f"/files/{file.id}/"))
    assert "承認を取り消せます" in text(client.get(f"/files/{file.id}/approve/"))
    response = client.post(f"/files/{file.id}/approve/", {"decision": "unapprove", "reason": ""})
    assert response.status_code == 409 and "承認を取り消す理由を入力してください" in text(response)
    response = client.post(f"/files/{file.id}/approve/", {"decision": "unapprove", "reason": "引落日の誤りに気付いた"})
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.state == State.AWAITING_APPROVAL and file.approved_by is None and file.approved_at is None
    assert list(files_for_bank()) == []
    assert file.history[-1]["state"] == "awaiting_approval" and file.history[-1]["reason"] == "引落日の誤りに気付いた"
    entry = last("approval_withdraw")
    assert entry.actor == "zeimu-approve" and entry.outcome == "success" and entry.sha256 == file.sha256
    assert entry.detail["reason"] == "引落日の誤りに気付いた" and entry.detail["approved_at"]
    # it goes to the bank only after a new approval
    assert client.post(f"/files/{file.id}/approve/", {"decision": "approve"}).status_code == 302
    file.refresh_from_db()
    assert file.state == State.APPROVED and list(files_for_bank()) == [file]
    assert check().ok


def test_an_approval_cannot_be_withdrawn_by_another_approver(login_as: Login, ward: Any) -> None:
    other = User.objects.create_user(username="zeimu-approve2", password="Kokin-Strong-Pass-2025")
    RoleAssignment.objects.create(user=other, business=Business.objects.get(code="zeimu-furikae"), role=Role.APPROVE)
    file = _approved()
    with pytest.raises(Refused) as err:
        services.withdraw_approval(file=file, actor=user_actor(other), reason="念のため")
    assert "ほかの承認担当者の承認は取り消せません" in err.value.message_ja
    file.refresh_from_db()
    assert file.state == State.APPROVED and last("approval_withdraw").outcome == "denied"


def test_an_approval_cannot_be_withdrawn_once_the_bank_collected_the_file(login_as: Login, ward: Any) -> None:
    file = _approved()
    services.mark_collected(file, actor=BANK_AGENT)
    client = login_as("zeimu-approve")
    response = client.post(f"/files/{file.id}/approve/", {"decision": "unapprove", "reason": "遅すぎる"})
    assert response.status_code == 409 and "金融機関が取得済みのため、承認を取り消せません" in text(response)
    file.refresh_from_db()
    assert file.state == State.COLLECTED
    assert last("approval_withdraw").outcome == "denied"


def test_an_approver_cannot_send_back_a_file_already_approved(login_as: Login, ward: Any) -> None:
    file = _approved()
    client = login_as("zeimu-approve")
    response = client.post(f"/files/{file.id}/approve/", {"decision": "return", "reason": "やはり"})
    assert response.status_code == 409 and "承認済みのファイルは差し戻せません" in text(response)
    file.refresh_from_db()
    assert file.state == State.APPROVED


# --- bad input -------------------------------------------------------------------------------------


def _nul_in_a_name() -> bytes:
    raw = bytearray(debit_file(3))
    raw[122 + 50] = 0  # record 2 (after the header and its CR LF), byte 51: the holder name
    return bytes(raw)


BAD_FILES = [
    pytest.param(b"", "ファイルが空です", id="empty"),
    pytest.param(collection_file("mpn-receipt"), "の形式 (預金口座振替", id="wrong-format"),
    pytest.param(
        "1910000000000ﾃｽﾄｸ".encode("utf-16") + b"\x00" * 300, "UTF-16 で保存されています", id="wrong-encoding-utf16"
    ),
    pytest.param(
        "口座振替請求データ,山田太郎\n".encode() * 10, "UTF-8 の文字が含まれています", id="wrong-encoding-utf8"
    ),
    pytest.param(b"\x00" * 2000, "NUL バイト", id="nul-bytes"),
    pytest.param(_nul_in_a_name(), "預金者名", id="nul-in-a-record"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_files_are_rejected_in_japanese_and_nothing_is_stored(login_as: Login, data: bytes, message: str) -> None:
    client = login_as("zeimu-send")
    response = post_upload(client, data)
    assert response.status_code == 422, text(response)
    body = text(response)
    assert "受け付けませんでした" in body and message in body, body
    assert nothing_stored()
    entry = last("exchange_upload")
    assert entry.outcome == "failure" and entry.detail["reason"] == "invalid" and entry.sha256


def test_an_error_names_the_record_the_field_in_japanese_and_the_payer(login_as: Login) -> None:
    response = post_upload(login_as("zeimu-send"), _nul_in_a_name())
    first = response.context["issues"][0]
    assert (first.record, first.field, first.start, first.severity) == (2, "holder_name", 51, "error")
    assert first.message_ja.startswith("預金者名")
    body = " ".join(text(response).split())
    assert f'<td>預金者名</td><td class="num">1</td><td>{first.message_ja}</td>' in body
    # the first payer of the examples: 顧客番号 …01, the name's first byte made a NUL
    assert "レコード 2 — 顧客番号 00000000000000000001・預金者名 \ufffdﾏﾀﾞ ﾀﾛｳ" in body
    assert "holder_name" not in body.split('<table class="list issues grouped">')[1].split("</table>")[0]


def test_every_issue_is_in_the_downloadable_report_and_the_page_groups_them(login_as: Login) -> None:
    raw = bytearray(debit_file(150))
    for record in range(2, 152):  # every data record: a letter in the amount
        raw[(record - 1) * 122 + 80] = ord("X")
    client = login_as("zeimu-send")
    response = post_upload(client, bytes(raw))
    assert response.status_code == 422
    body = text(response)
    # 150 faults of one kind: one row with the count, the first five records and the hint of the fix
    found = response.context["outcome"].checked.report
    assert f"全 {150 + found.warning_count} 件" in body and body.count('<tr class="error">') == 1
    row = " ".join(body.split('<tr class="error">')[1].split("</tr>")[0].split())
    assert '<td>引落金額</td><td class="num">150</td>' in row
    assert "レコード 2 — 顧客番号 00000000000000000001・預金者名 ﾔﾏﾀﾞ ﾀﾛｳ" in row
    assert "レコード 6 — 顧客番号 00000000000000000005" in row and "レコード 7 " not in row
    assert "ほか 145 件" in row and "数字 (0～9) だけを入れてください" in row
    token = response.context["report_token"]
    report = client.get(f"/files/upload/zeimu-furikae/?report={token}")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    rows = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    assert found.error_count == 150 and response.context["total_issues"] == 150 + found.warning_count
    assert rows[0].startswith("重大度,レコード番号,項目") and len(rows) == 1 + 150 + found.warning_count
    assert any(row.startswith("エラー,151,amount,81-90") for row in rows)
    last = next(csv.reader([next(row for row in rows if row.startswith("エラー,151,"))]))
    assert last[7:] == ["引落金額", "顧客番号 00000000000000000150・預金者名 ﾔﾏﾀﾞ ﾀﾛｳ", HINTS["digits"]]
    assert nothing_stored()
    assert login_as("kokuho-send").get(f"/files/upload/zeimu-furikae/?report={token}").status_code == 403
    other = login_as("zeimu-send", Client())
    assert other.get(f"/files/upload/zeimu-furikae/?report={token}").status_code == 404  # another session


def test_a_file_over_the_limit_gets_413_and_nothing_is_stored(login_as: Login) -> None:
    ExchangePolicy.objects.create(business=Business.objects.get(code="zeimu-furikae"), max_upload_mb=1)
    client = login_as("zeimu-send")
    response = post_upload(client, b"1" * (1024 * 1024 + 200 * 1024))
    assert response.status_code == 413 and "1 MB" in text(response)
    assert nothing_stored() and last("exchange_upload").detail["reason"] == "too_large"


def test_the_upload_handler_stops_at_the_limit_without_a_content_length_check(
    login_as: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kokin.exchange import uploads

    ExchangePolicy.objects.create(business=Business.objects.get(code="zeimu-furikae"), max_upload_mb=1)
    monkeypatch.setattr(uploads, "OVERHEAD", 10 * 1024 * 1024)  # the announced length passes
    response = post_upload(login_as("zeimu-send"), b"1" * (1024 * 1024 + 1))
    assert response.status_code == 413 and nothing_stored()


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\\\..\\\\windows\\\\request.dat", "request.dat"),
        ("請求\x07\x1b[31m.dat", "請求[31m.dat"),
        ("\u202etad.exe", "tad.exe"),
    ],
)
def test_path_traversal_and_control_characters_leave_the_file_name(login_as: Login, sent: str, kept: str) -> None:
    response = post_upload(login_as("zeimu-send"), debit_file(), filename=sent)
    assert response.status_code == 302, text(response)
    assert ExchangeFile.objects.get().original_name == kept


def test_a_post_without_the_csrf_token_is_refused(login_as: Login, ward: Any) -> None:
    logged_in = login_as("zeimu-send")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = logged_in.cookies
    assert strict.get("/files/upload/zeimu-furikae/").status_code == 200
    response = post_upload(strict, debit_file())
    assert response.status_code == 403 and nothing_stored()
    file = upload(outbound(), User.objects.get(username="zeimu-send"))
    approver = Client(enforce_csrf_checks=True)
    approver.cookies = login_as("zeimu-approve").cookies
    assert approver.post(f"/files/{file.id}/approve/", {"decision": "approve"}).status_code == 403
    file.refresh_from_db()
    assert file.state == State.AWAITING_APPROVAL


def test_another_business_can_neither_see_nor_download_a_file(login_as: Login, ward: Any) -> None:
    file = place(inbound())
    other = login_as("kokuho-send")
    for path in ("", "download/", "download/?as=original", "download/?as=csv&encoding=cp932", "inspect/"):
        assert other.get(f"/files/{file.id}/{path}").status_code == 403, path
    for what in ("original", "csv", "zip"):
        fields = {"as": what, "encoding": "cp932", "password_mode": "generate"}
        assert other.post(f"/files/{file.id}/download/", fields).status_code == 403, what
    assert file.sha256 not in text(other.get("/files/")) and "新着" in text(other.get("/"))
    assert str(file.id) not in text(other.get("/"))
    assert other.get("/files/00000000-0000-4000-8000-000000000000/").status_code == 404
    file.refresh_from_db()
    assert file.download_count == 0 and file.state == State.AVAILABLE
    viewer = login_as("zeimu-view")  # 閲覧 sees the file but may not download it
    assert viewer.get(f"/files/{file.id}/").status_code == 200
    assert viewer.post(f"/files/{file.id}/download/", {"as": "original"}).status_code == 403
    admin = login_as("sysadmin")
    assert admin.get(f"/files/{file.id}/").status_code == 403
    assert str(file.id) not in text(admin.get("/files/"))


# --- confirmations ---------------------------------------------------------------------------------


def test_a_duplicate_needs_explicit_confirmation(login_as: Login) -> None:
    client = login_as("zeimu-send")
    data = debit_file(4)
    assert post_upload(client, data).status_code == 302
    again = post_upload(client, data)
    assert again.status_code == 200 and "重複している可能性があります" in text(again)
    assert "内容が同一 (SHA-256 一致)" in text(again) and ExchangeFile.objects.count() == 1
    assert last("exchange_upload").detail["reason"] == "confirmation_required"
    # the same consignor, debit date, count and total with different bytes is a duplicate too
    renamed = debit_file(4, holder_name="ｽｽﾞｷ ﾊﾅｺ")
    response = post_upload(client, renamed)
    assert "委託者・引落日・件数・金額が同じ" in text(response) and ExchangeFile.objects.count() == 1
    assert post_upload(client, renamed, confirm_duplicate="on").status_code == 302
    assert ExchangeFile.objects.count() == 2


def unknown_bank_code() -> str:
    known = master().bank_known
    return next(f"{c:04d}" for c in range(1, 10000) if not known[c])


def test_unknown_bank_codes_need_confirmation(login_as: Login) -> None:
    client = login_as("zeimu-send")
    data = debit_file(2, bank_code=unknown_bank_code())
    response = post_upload(client, data)
    assert response.status_code == 200 and "金融機関マスタにないコード 2 件" in text(response)
    assert "金融機関マスタ" in text(response) and nothing_stored()
    response = post_upload(client, data, confirm_warnings="on")
    assert response.status_code == 302
    file = ExchangeFile.objects.get()
    assert file.warning_count == 2 and file.warnings[0]["code"] == "unknown_code"
    assert "warnings" in last("exchange_upload").detail["confirmed"]


# --- the debit date --------------------------------------------------------------------------------


def _check(data: bytes, today: dt.date, tmp_path: Any, lead: int = 3) -> list[str]:
    path = tmp_path / "request.dat"
    path.write_bytes(data)
    checked = check_file(path, data_kind=outbound(), today=today, lead_business_days=lead)
    return [f"{i.record}:{i.field}:{i.code}:{i.message_ja}" for i in checked.report.errors]


def test_the_debit_date_must_be_a_bank_business_day_far_enough_ahead(ward: Any, tmp_path: Any) -> None:
    today = dt.date(2026, 5, 1)  # Friday before the Golden Week holidays
    holiday = _check(debit_file(debit_date=dt.date(2026, 5, 6)), today, tmp_path)
    assert holiday == [
        "1:debit_date:debit_date_holiday:引落日 2026-05-06 (令和8年5月6日) は銀行の休業日 (祝日 (振替休日)) です"
    ]
    new_year = _check(debit_file(debit_date=dt.date(2026, 12, 31)), today, tmp_path)
    assert "年末年始" in new_year[0]
    sunday = _check(debit_file(debit_date=dt.date(2026, 5, 10)), today, tmp_path)
    assert "日曜日" in sunday[0]
    too_soon = _check(debit_file(debit_date=dt.date(2026, 5, 8)), today, tmp_path)  # 5/7 and 5/8: two days
    assert too_soon[0].startswith("1:debit_date:debit_date_lead:") and "2026-05-11 (令和8年5月11日) 以降" in too_soon[0]
    assert _check(debit_file(debit_date=dt.date(2026, 5, 11)), today, tmp_path) == []
    assert _check(debit_file(debit_date=dt.date(2026, 5, 11)), today, tmp_path, lead=4) != []
    # MMDD before today is next year's date: 2027-04-30 is a Friday
    assert _check(debit_file(debit_date=dt.date(2027, 4, 30)), today, tmp_path) == []


def test_a_debit_date_on_a_holiday_is_shown_on_the_upload_page(login_as: Login) -> None:
    day = bankdays.add_business_days(timezone.localdate(), 10)
    while bankdays.is_business_day(day):
        day += dt.timedelta(days=1)
    response = post_upload(login_as("zeimu-send"), debit_file(debit_date=day))
    assert response.status_code == 422 and "は銀行の休業日" in text(response) and nothing_stored()


def test_the_lead_days_are_set_per_business(ward: Any, tmp_path: Any) -> None:
    business = Business.objects.get(code="zeimu-furikae")
    services.set_policy(business=business, actor=TEST_ACTOR, lead_business_days=10)
    policy = ExchangePolicy.for_business(business)
    assert policy.lead_business_days == 10 and last("exchange_policy").detail["changed"] == {"lead_business_days": 10}


def test_files_list_filters(login_as: Login, ward: Any) -> None:
    sent = upload(outbound(), User.objects.get(username="zeimu-send"))
    arrived = place(inbound())
    client = login_as("zeimu-get")
    everything = text(client.get("/files/"))
    assert str(sent.id) in everything and str(arrived.id) in everything
    only_new = text(client.get("/files/", {"state": State.AVAILABLE}))
    assert str(arrived.id) in only_new and str(sent.id) not in only_new
    outbound_only = text(client.get("/files/", {"direction": "outbound", "data_kind": str(outbound().pk)}))
    assert str(sent.id) in outbound_only and str(arrived.id) not in outbound_only
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert str(sent.id) not in text(client.get("/files/", {"since": tomorrow.isoformat()}))
    bad = client.get("/files/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert bad.status_code == 200 and "「まで」は「から」" in text(bad)


def test_exchange_pages_keep_the_strict_csp(login_as: Login, ward: Any) -> None:
    file = place(inbound())
    client = login_as("zeimu-get")
    for path in ("/files/", f"/files/{file.id}/", f"/files/{file.id}/download/", "/files/certificates/", "/"):
        response = client.get(path)
        html = text(response)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "style=" not in html and " on" + "click=" not in html, path
        inline = re.findall(r'<script(?![^>]*\bsrc="/static/)', html)  # only the site's own script files
        assert not inline, path


def test_leftover_upload_files_are_swept(settings: Any, tmp_path: Any) -> None:
    import os

    from kokin.exchange import uploads

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    old, new = tmp_path / "tmpa.upload.dat", tmp_path / "tmpb.upload.dat"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (1, 1))
    assert uploads.sweep() == 1 and not old.exists() and new.exists()


def test_policy_command_shows_and_changes_the_settings(ward: Any) -> None:
    from click.testing import CliRunner

    from kokin.cli import main as cli

    shown = CliRunner().invoke(cli, ["exchange", "policy", "zeimu-furikae"])
    assert shown.exit_code == 0 and "引落日までに必要な銀行営業日数: 3" in shown.output
    changed = CliRunner().invoke(cli, ["exchange", "policy", "zeimu-furikae", "--max-upload-mb", "50", "--no-mail"])
    assert changed.exit_code == 0 and "送信ファイルの上限 (MB): 50" in changed.output
    policy = ExchangePolicy.for_business(Business.objects.get(code="zeimu-furikae"))
    assert policy.max_upload_mb == 50 and policy.notify_by_mail is False
    assert CliRunner().invoke(cli, ["exchange", "policy", "nope"]).exit_code == 2
