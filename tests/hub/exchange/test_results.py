"""Debit results as the operators see them: the 引落日 of a result is its matched request's (never a
year guessed from the MMDD), and the 振替不能の明細 (page, CSV, Excel) lists exactly the payers the
bank could not debit, with their bank and branch names and the next step per result code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from kokin.accounts.actors import bank_actor
from kokin.accounts.models import DataKind, User
from kokin.audit.models import AuditEntry
from kokin.bank.simulator import debit as bank_debit
from kokin.exchange import services
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats import bankdays
from kokin.formats import synth as sample
from kokin.formats.bankmaster import master
from kokin.formats.dates import wareki_text
from kokin.formats.kinds import zengin_debit
from support.exchange import DEBIT_HEADER, debit_day, operator, payer, received, upload

Login = Any

#: the steps the ward's operators take per 振替結果コード
EXPECTED_STEPS = {
    "1": "再振替・納付書の送付",
    "2": "口座の確認・依頼書の再提出",
    "3": "口座振替の登録の停止",
    "4": "口座の確認・依頼書の再提出",
    "8": "委託者 (区) の事情の確認",
    "9": "金融機関への照会",
}
CSV_HEADER = [
    "レコード番号",
    "顧客番号",
    "預金者名",
    "金融機関",
    "支店",
    "預金種目",
    "口座番号",
    "引落金額",
    "振替結果コード",
    "結果内容",
    "次の対応",
]


def kinds() -> tuple[DataKind, DataKind]:
    out = DataKind.objects.get(transfer_id="ZEIMU-FURIKAE-REQ1")
    assert out.reply_kind is not None
    return out, out.reply_kind


def collected_request(raw: bytes) -> ExchangeFile:
    """``raw`` uploaded, approved and collected by the bank, as the bank link would have it."""
    out, _ = kinds()
    file = upload(out, User.objects.get(username="zeimu-send"), raw)
    services.approve(file=file, actor=operator("zeimu-approve"))
    services.mark_collected(file, actor=bank_actor("test"))
    file.refresh_from_db()
    assert file.state == State.COLLECTED
    return file


def place_result(raw: bytes, *, require_request: bool = True) -> ExchangeFile:
    _, inbound = kinds()
    incoming = received(raw, "kekka.dat")
    try:
        outcome = services.place(
            data_kind=inbound, received=incoming, actor=bank_actor("test"), require_request=require_request
        )
    finally:
        assert incoming.path is not None
        incoming.path.unlink(missing_ok=True)
    assert outcome.file is not None, [str(i) for i in outcome.checked.issues[:5]]
    return outcome.file


def debit_file(date: dt.date, codes: list[str], *, result: bool) -> bytes:
    header = {**DEBIT_HEADER, "debit_date": f"{date:%m%d}"}
    rows = [payer(i, result_code=code if result else "0") for i, code in enumerate(codes)]
    return bytes(zengin_debit.build([{"header": header, "records": rows}], result=result))


def january_next_year() -> dt.date:
    """A bank business day in next year's January: its MMDD is before today's when today is in December."""
    today = timezone.localdate()
    return bankdays.add_business_days(dt.date(today.year + 1, 1, 9), 1)


def bank_result(request_raw: bytes, debit_date: dt.date, *, short: int) -> bytes:
    """The bank simulator's answer to ``request_raw``, with the first ``short`` accounts emptied (so at
    least those come back 1 資金不足; the simulator's own draws may add other codes)."""
    rows = [r for r in zengin_debit.iter_records(io.BytesIO(request_raw)) if r["record_kind"] == "data"]
    month = bank_debit.debit_month(f"{debit_date:%m%d}", timezone.localdate())
    accounts: dict[str, list[int]] = {}
    for r in rows[:short]:
        key = bank_debit.account_key(r["bank_code"], r["branch_code"], r["account_type"], r["account_number"])
        accounts[key] = [0, month]
    return bank_debit.debit(request_raw, seed=7, accounts=accounts, today=timezone.localdate()).raw


def failed_records(raw: bytes) -> list[dict[str, Any]]:
    """The data records with a result code other than 0, read straight from the file."""
    return [
        r for r in zengin_debit.iter_records(io.BytesIO(raw)) if r["record_kind"] == "data" and r["result_code"] != "0"
    ]


# --- the debit date of a result ---------------------------------------------------------------------


@pytest.mark.parametrize("date", [debit_day, january_next_year], ids=["later-this-month", "january-next-year"])
def test_a_result_takes_the_debit_date_of_its_request_not_a_year_guessed_backwards(ward: Any, date: Any) -> None:
    day = date()
    request = collected_request(debit_file(day, ["0"] * 3, result=False))
    assert request.debit_date == day
    result = place_result(debit_file(day, ["0", "1", "0"], result=True))
    assert result.summary["request_file"] == str(request.id)
    assert result.debit_date == day and result.debit_date > timezone.localdate()
    assert result.summary["batch_list"][0]["debit_date_resolved"] == day.isoformat()


def test_a_result_that_matches_no_request_has_no_guessed_year(ward: Any, login_as: Login) -> None:
    day = debit_day()
    result = place_result(debit_file(day, ["0", "2"], result=True), require_request=False)
    assert result.debit_date is None and "request_file" not in result.summary
    page = login_as("zeimu-view").get(f"/files/{result.id}/").content.decode()
    assert f"{day.month}月{day.day}日 (請求と未照合のため年は不明)" in page
    assert f"{day.year - 1}-{day:%m-%d}" not in page and f"{day:%Y-%m-%d}" not in page


def test_the_file_page_shows_the_resolved_debit_date_with_wareki(ward: Any, login_as: Login) -> None:
    day = debit_day()
    collected_request(debit_file(day, ["0"] * 2, result=False))
    result = place_result(debit_file(day, ["0", "0"], result=True))
    page = login_as("zeimu-view").get(f"/files/{result.id}/").content.decode()
    assert f"引落日 {day:%Y-%m-%d} ({wareki_text(day)})" in page  # the batch row
    assert f"{day:%Y-%m-%d} ({wareki_text(day)})" in page.split("<th>引落日</th>")[1][:80]  # the facts table


# --- the 振替不能 list ------------------------------------------------------------------------------


def test_the_page_lists_exactly_the_failed_records_of_a_bank_result(ward: Any, login_as: Login) -> None:
    day = debit_day()
    request_raw, _ = sample.generate("zengin-debit", 60, seed=11, base_date=day)
    collected_request(request_raw)
    result_raw = bank_result(request_raw, day, short=4)
    result = place_result(result_raw)
    expected = failed_records(result_raw)
    assert len(expected) >= 4
    client = login_as("zeimu-view")
    page = client.get(f"/files/{result.id}/").content.decode()
    table = page.split('<table class="list failures">')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]  # after the head row
    assert len(rows) == len(expected)
    assert f"振替不能の明細 ({len(expected)} 件)" in page
    for row, rec in zip(rows, expected, strict=True):
        bank = master().bank(rec["bank_code"])
        branch = master().branch(rec["bank_code"], rec["branch_code"])
        assert bank is not None and branch is not None
        assert rec["customer_number"] in row and rec["holder_name"] in row
        assert f"{bank.name} {branch.name}" in row
        assert f'{zengin_debit.ACCOUNT_TYPES[rec["account_type"]]} <span class="mono">{rec["account_number"]}' in row
        assert f"{rec['amount']:,} 円" in row
        assert zengin_debit.RESULT_CODES[rec["result_code"]][0] in row
        assert EXPECTED_STEPS[rec["result_code"]] in row


def test_each_result_code_gets_its_label_and_next_step(ward: Any, login_as: Login) -> None:
    day = debit_day()
    codes = ["0", "1", "2", "3", "4", "8", "9", "0"]
    collected_request(debit_file(day, codes, result=False))
    result = place_result(debit_file(day, codes, result=True))
    page = login_as("zeimu-view").get(f"/files/{result.id}/").content.decode()
    table = page.split('<table class="list failures">')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 6
    for row, code in zip(rows, ["1", "2", "3", "4", "8", "9"], strict=True):
        assert f'<span class="mono">{code}</span> {zengin_debit.RESULT_CODES[code][0]}' in row
        assert f"<td>{EXPECTED_STEPS[code]}</td>" in row


def test_a_result_with_no_failures_shows_no_list(ward: Any, login_as: Login) -> None:
    day = debit_day()
    collected_request(debit_file(day, ["0", "0"], result=False))
    result = place_result(debit_file(day, ["0", "0"], result=True))
    page = login_as("zeimu-view").get(f"/files/{result.id}/").content.decode()
    assert "振替不能の明細" not in page
    assert not AuditEntry.objects.filter(action="exchange_view_failures").exists()


def test_reading_the_list_is_logged_and_other_businesses_get_403(ward: Any, login_as: Login) -> None:
    day = debit_day()
    collected_request(debit_file(day, ["1", "0", "3"], result=False))
    result = place_result(debit_file(day, ["1", "0", "3"], result=True))
    assert login_as("zeimu-view").get(f"/files/{result.id}/").status_code == 200
    entry = AuditEntry.objects.filter(action="exchange_view_failures").order_by("-seq").first()
    assert entry is not None
    assert entry.actor == "zeimu-view" and entry.object == f"file:{result.id}"
    assert entry.detail["records"] == 2 and entry.detail["failed"] == 2
    outsider = login_as("kokuho-send")
    before = AuditEntry.objects.filter(action="exchange_view_failures").count()
    assert outsider.get(f"/files/{result.id}/").status_code == 403
    for what in ("failures_csv", "failures_xlsx"):
        assert outsider.post(f"/files/{result.id}/download/", {"as": what}).status_code == 403
    assert AuditEntry.objects.filter(action="exchange_view_failures").count() == before


# --- the 振替不能分のみ downloads --------------------------------------------------------------------


def _download(client: Client, file: ExchangeFile, what: str) -> bytes:
    response = client.post(f"/files/{file.id}/download/", {"as": what})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def test_failures_csv_is_utf8_with_bom_japanese_headers_and_only_the_failed_records(ward: Any, login_as: Login) -> None:
    day = debit_day()
    request_raw, _ = sample.generate("zengin-debit", 40, seed=12, base_date=day)
    collected_request(request_raw)
    result_raw = bank_result(request_raw, day, short=3)
    result = place_result(result_raw)
    expected = failed_records(result_raw)
    data = _download(login_as("zeimu-get"), result, "failures_csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 1 + len(expected)
    for row, rec in zip(rows[1:], expected, strict=True):
        bank = master().bank(rec["bank_code"])
        assert bank is not None
        assert row[0] == str(rec["record_number"]) and row[1] == rec["customer_number"]
        assert row[2] == rec["holder_name"] and row[3] == f"{bank.name} ({rec['bank_code']})"
        assert row[6] == rec["account_number"] and row[7] == str(rec["amount"])
        assert row[8] == rec["result_code"] and row[10] == EXPECTED_STEPS[rec["result_code"]]
    result.refresh_from_db()
    assert result.download_count == 1 and result.state == State.DOWNLOADED
    entry = AuditEntry.objects.filter(action="exchange_download").order_by("-seq").first()
    assert entry is not None and entry.detail["as"] == "failures_csv" and entry.detail["records"] == len(expected)


def test_failures_xlsx_has_typed_columns_a_frozen_header_and_widths(ward: Any, login_as: Login) -> None:
    day = debit_day()
    codes = ["0", "1", "0", "9"]
    collected_request(debit_file(day, codes, result=False))
    result = place_result(debit_file(day, codes, result=True))
    data = _download(login_as("zeimu-get"), result, "failures_xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet.title == "振替不能"
    assert [c.value for c in sheet[1]] == CSV_HEADER
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width and sheet.column_dimensions["B"].width > 20
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    one, nine = payer(1), payer(3)
    assert [r[8] for r in rows] == ["1", "9"]
    assert rows[0][1] == one["customer_number"] and rows[1][1] == nine["customer_number"]  # text: zeros kept
    assert rows[0][7] == one["amount"] and isinstance(rows[0][7], int)
    assert sheet.cell(row=2, column=8).number_format == "#,##0"
    assert rows[1][9] == "その他" and rows[1][10] == "金融機関への照会"
    entry = AuditEntry.objects.filter(action="exchange_download").order_by("-seq").first()
    assert entry is not None and entry.detail["as"] == "failures_xlsx"


def test_a_viewer_without_download_may_read_the_list_but_not_download_it(ward: Any, login_as: Login) -> None:
    day = debit_day()
    collected_request(debit_file(day, ["1", "0"], result=False))
    result = place_result(debit_file(day, ["1", "0"], result=True))
    viewer = login_as("zeimu-view")
    assert "振替不能の明細 (1 件)" in viewer.get(f"/files/{result.id}/").content.decode()
    assert viewer.post(f"/files/{result.id}/download/", {"as": "failures_csv"}).status_code == 403
    result.refresh_from_db()
    assert result.download_count == 0


def test_a_holder_name_that_looks_like_a_formula_stays_text_in_both_files(ward: Any, login_as: Login) -> None:
    day = debit_day()
    header = {**DEBIT_HEADER, "debit_date": f"{day:%m%d}"}
    rows = [payer(0, holder_name="-ﾔﾏﾀﾞ ﾀﾛｳ"), payer(1)]
    request_raw = bytes(zengin_debit.build([{"header": header, "records": rows}], result=False))
    collected_request(request_raw)
    rows[0]["result_code"] = "1"
    result = place_result(bytes(zengin_debit.build([{"header": header, "records": rows}], result=True)))
    client = login_as("zeimu-get")
    text = _download(client, result, "failures_csv").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline="")))[1][2] == "'-ﾔﾏﾀﾞ ﾀﾛｳ"
    sheet = openpyxl.load_workbook(io.BytesIO(_download(client, result, "failures_xlsx"))).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=3)
    assert cell.value == "-ﾔﾏﾀﾞ ﾀﾛｳ" and cell.data_type == "s"
