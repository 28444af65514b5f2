"""The department's CSV and Excel downloads speak Japanese: the layout's labels as headers, the bank and
branch names, 預金種目名, 科目名, 結果内容 and dates in 西暦 and 和暦 beside the raw codes; the field IDs
stay one choice away; the 振替不能 files decode as every export does."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
from django.test import Client

from kokin.accounts.models import DataKind
from kokin.audit.models import AuditEntry
from kokin.exchange import downloads
from kokin.exchange.models import ExchangeFile
from kokin.formats.bankmaster import master
from kokin.formats.items import ITEMS
from support.exchange import collection_file, debit_file, place

Login = Any


def inbound(business: str, fmt: str) -> DataKind:
    kind = DataKind.objects.filter(business__code=business, direction="inbound", format=fmt).order_by("pk").first()
    assert kind is not None
    return kind


def download(client: Client, file: ExchangeFile, **form: str) -> bytes:
    response = client.post(f"/files/{file.id}/download/", form)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def debit_result() -> bytes:
    return debit_file(3, result=True, result_code="1")


def test_csv_download_has_japanese_headers_with_bank_names_and_result_meanings(ward: Any, login_as: Login) -> None:
    file = place(inbound("zeimu-furikae", "zengin-debit"), debit_result())
    raw = download(login_as("zeimu-get"), file, **{"as": "csv", "encoding": "cp932"})
    rows = list(csv.DictReader(io.StringIO(raw.decode("cp932"), newline="")))
    bank, branch = master().bank("0001"), master().branch("0001", "001")
    assert bank is not None and branch is not None
    assert len(rows) == 3
    for row in rows:
        assert row["引落金融機関番号"] == "0001" and row["引落金融機関名（マスタ）"] == bank.name
        assert row["引落支店番号"] == "001" and row["引落支店名（マスタ）"] == branch.name
        assert row["預金種目"] == "1" and row["預金種目名"] == "普通"
        assert row["振替結果コード"] == "1" and row["結果内容"] == "資金不足"
    entry = AuditEntry.objects.filter(action="exchange_download").order_by("-seq").first()
    assert entry is not None and entry.detail["as"] == "csv" and entry.detail["headers"] == "ja"


def test_csv_download_with_field_ids_is_the_former_layout(ward: Any, login_as: Login) -> None:
    file = place(inbound("zeimu-furikae", "zengin-debit"), debit_result())
    raw = download(login_as("zeimu-get"), file, **{"as": "csv", "encoding": "utf-8-sig", "headers": "en"})
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert header == downloads.data_columns("zengin-debit")


def test_xlsx_download_of_a_collection_file_has_item_names_typed_dates_and_wareki(ward: Any, login_as: Login) -> None:
    file = place(inbound("zeimu-shuno", "mpn-receipt"), collection_file("mpn-receipt", 3), name="mpn.dat")
    client = login_as("zeimu-get")
    response = client.post(f"/files/{file.id}/download/", {"as": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == downloads.XLSX_TYPE
    assert 'filename="mpn.xlsx"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["データレコード"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 3
    first = rows[0]
    assert first["科目コード"] == "01" and first["科目名"] == ITEMS["01"].ja
    assert first["納付年月日"] == "20260525" and first["納付年月日（西暦）"] == dt.datetime(2026, 5, 25)
    assert first["納付年月日（和暦）"] == "令和8年5月25日" and first["調定年度（和暦）"] == "令和8年度"
    collecting = master().bank("0005")
    assert collecting is not None and first["収納金融機関名（マスタ）"] == collecting.name
    assert [r["請求金額"] for r in rows] == [25000, 25001, 25002]
    amount = sheet.cell(row=2, column=header.index("請求金額") + 1)
    assert amount.number_format == "#,##0"
    entry = AuditEntry.objects.filter(action="exchange_download").order_by("-seq").first()
    assert entry is not None and entry.detail["as"] == "xlsx"


def test_xlsx_download_goes_on_over_further_sheets_past_the_sheet_limit(ward: Any, login_as: Login) -> None:
    file = place(inbound("zeimu-furikae", "zengin-debit"), debit_file(5, result=True))
    out = io.BytesIO()
    downloads.write_xlsx(file, out, max_rows=3)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["データレコード", "データレコード (2)", "データレコード (3)"]
    numbers = [row[-1] for name in book.sheetnames for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert numbers == [2, 3, 4, 5, 6]


def test_failures_files_name_the_bank_and_the_result_as_every_export_does(ward: Any, login_as: Login) -> None:
    file = place(inbound("zeimu-furikae", "zengin-debit"), debit_result())
    client = login_as("zeimu-get")
    rows = list(csv.DictReader(io.StringIO(download(client, file, **{"as": "failures_csv"}).decode("utf-8-sig"))))
    bank = master().bank("0001")
    assert bank is not None
    assert {r["金融機関"] for r in rows} == {f"{bank.name} (0001)"}
    assert {(r["振替結果コード"], r["結果内容"], r["預金種目"]) for r in rows} == {("1", "資金不足", "普通")}
    sheet = openpyxl.load_workbook(io.BytesIO(download(client, file, **{"as": "failures_xlsx"})))["振替不能"]
    assert [c.value for c in sheet[1]] == list(rows[0])
