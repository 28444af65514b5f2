"""Exports for people (:mod:`kokin.formats.tabular`): ``kokin convert --to csv|xlsx`` writes the layout's
Japanese labels, the bank and branch names, code meanings and dates in 西暦 and 和暦 beside the raw
codes; Excel cells are typed with the header row frozen; past the rows a sheet holds, the records go
on over further sheets."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from kokin.cli import main
from kokin.formats import convert, tabular
from kokin.formats.bankmaster import master
from kokin.formats.cells import unguard
from kokin.formats.dates import to_wareki, wareki_text
from kokin.formats.examples import DEBIT_HEADER, batch, payer
from kokin.formats.items import ITEMS
from kokin.formats.kinds import mpn_receipt, zengin_debit

WriteFile = Callable[..., Path]


def debit_result() -> bytes:
    records = [payer(0), payer(1, result_code="1"), payer(2, result_code="2", account_type="2")]
    return zengin_debit.build([{"header": DEBIT_HEADER, "records": records}], result=True)


def mpn_file() -> bytes:
    return bytes(mpn_receipt.build([batch("mpn-receipt", 2)]))


def kokin(*args: str | Path) -> Any:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def csv_rows(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def test_cli_csv_of_a_debit_result_has_japanese_headers_and_decoded_codes(
    write_file: WriteFile, tmp_path: Path
) -> None:
    out = tmp_path / "kekka.csv"
    kokin("convert", write_file(debit_result()), "--format", "zengin-debit", "--to", "csv", "-o", out)
    rows = csv_rows(out)
    header = list(rows[0])
    # each decoded column follows its code
    for code, decoded in (
        ("引落金融機関番号", "引落金融機関名（マスタ）"),
        ("引落支店番号", "引落支店名（マスタ）"),
        ("預金種目", "預金種目名"),
        ("振替結果コード", "結果内容"),
    ):
        assert header.index(decoded) == header.index(code) + 1
    assert "bank_code" not in header and header[0] == "バッチ番号" and header[-1] == "レコード番号"
    bank, branch = master().bank("0001"), master().branch("0001", "001")
    assert bank is not None and branch is not None
    assert [r["引落金融機関番号"] for r in rows] == ["0001"] * 3  # the raw codes stay
    assert {r["引落金融機関名（マスタ）"] for r in rows} == {bank.name}
    assert {r["引落支店名（マスタ）"] for r in rows} == {branch.name}
    assert [r["預金種目名"] for r in rows] == ["普通", "普通", "当座"]
    assert [(r["振替結果コード"], r["結果内容"]) for r in rows] == [
        ("0", "振替済"),
        ("1", "資金不足"),
        ("2", "取引なし"),
    ]


def test_cli_csv_of_a_collection_file_names_the_item_and_gives_dates_in_wareki(
    write_file: WriteFile, tmp_path: Path
) -> None:
    out = tmp_path / "mpn.csv"
    path = write_file(mpn_file())
    kokin("convert", path, "--format", "mpn-receipt", "--to", "csv", "-o", out, "--encoding", "cp932")
    row = csv_rows(out, "cp932")[0]
    assert row["科目コード"] == "01" and row["科目名"] == ITEMS["01"].ja == "住民税(普通徴収)"
    assert row["納付年月日"] == "20260525"
    assert row["納付年月日（西暦）"] == "2026-05-25" and row["納付年月日（和暦）"] == "令和8年5月25日"
    assert row["調定年度（和暦）"] == "令和8年度"
    collecting = master().bank("0005")
    assert collecting is not None and row["収納金融機関名（マスタ）"] == collecting.name
    assert row["収納チャネル（内容）"] == "インターネットバンキング" and row["納付区分（内容）"] == "現年度分"


def test_cli_headers_en_keeps_the_field_ids_without_decoded_columns(write_file: WriteFile, tmp_path: Path) -> None:
    out = tmp_path / "en.csv"
    path = write_file(debit_result())
    kokin("convert", path, "--format", "zengin-debit", "--to", "csv", "-o", out, "--headers", "en")
    rows = csv_rows(out)
    names = [f.name for f in zengin_debit.LAYOUT.kind("data").fields if not f.dummy]
    assert list(rows[0]) == ["batch", *names, "record_number"]
    assert rows[1]["result_code"] == "1"


def test_cli_xlsx_is_typed_frozen_and_sized(write_file: WriteFile, tmp_path: Path) -> None:
    out = tmp_path / "mpn.xlsx"
    kokin("convert", write_file(mpn_file()), "--format", "mpn-receipt", "--to", "xlsx", "-o", out)
    book = load_workbook(out)
    assert book.sheetnames[0] == "データレコード"
    sheet = book["データレコード"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    cells = {title: sheet.cell(row=2, column=header.index(title) + 1) for title in header}
    assert cells["請求金額"].value == 25000 and cells["請求金額"].number_format == "#,##0"
    assert cells["納付年月日（西暦）"].value == dt.datetime(2026, 5, 25)
    assert cells["納付年月日（西暦）"].number_format == "yyyy-mm-dd"
    assert cells["納付年月日（和暦）"].value == "令和8年5月25日"
    assert cells["納付番号"].value == "00000000001234567890" and cells["納付番号"].data_type == "s"
    assert cells["科目コード"].value == "01" and cells["科目名"].value == "住民税(普通徴収)"
    assert cells["レコード番号"].value == 2 and cells["レコード番号"].number_format == "General"
    widths = {title: sheet.column_dimensions[c.column_letter].width for title, c in cells.items()}
    assert widths["納付番号"] >= 20 and widths["納付年月日（和暦）"] >= 18
    trailer = book["トレーラーレコード"]
    assert [c.value for c in trailer[1]][2:4] == ["合計件数", "合計金額"]


def test_xlsx_goes_on_over_further_sheets_past_the_rows_a_sheet_holds(tmp_path: Path) -> None:
    records = [payer(i) for i in range(7)]
    parsed = zengin_debit.parse(zengin_debit.build([{"header": DEBIT_HEADER, "records": records}]))
    out = tmp_path / "split.xlsx"
    convert.write_xlsx(parsed, out, max_rows=3)  # a header and two records a sheet
    book = load_workbook(out)
    data = [name for name in book.sheetnames if name.startswith("データレコード")]
    assert data == ["データレコード", "データレコード (2)", "データレコード (3)", "データレコード (4)"]
    numbers = []
    for name in data:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0][0] == "バッチ番号" and len(rows) <= 3 and book[name].freeze_panes == "A2"
        numbers += [row[-1] for row in rows[1:]]
    assert numbers == list(range(2, 9))  # every record once, in file order


def test_a_sheet_exactly_full_needs_no_next_sheet() -> None:
    from openpyxl import Workbook

    columns = [tabular.Column("番号", "number", 8, lambda row: row["n"])]
    workbook = Workbook(write_only=True)
    assert tabular.add_sheets(workbook, "表", columns, ({"n": i} for i in range(4)), max_rows=5) == 1
    assert tabular.add_sheets(workbook, "表2", columns, ({"n": i} for i in range(5)), max_rows=5) == 2
    assert tabular.add_sheets(workbook, "空", columns, iter(()), max_rows=5) == 1
    out = io.BytesIO()
    workbook.save(out)
    assert load_workbook(out).sheetnames == ["表", "表2", "表2 (2)", "空"]


def test_unknown_codes_decode_to_empty_cells_and_the_raw_code_stays() -> None:
    columns = tabular.record_columns(zengin_debit.LAYOUT.kind("data"), ["bank_code", "branch_code", "result_code"])
    row = {"bank_code": "9998", "branch_code": "999", "result_code": "7"}
    assert [c.value(row) for c in columns] == ["9998", "", "999", "", "7", ""]


#: 7-digit 和暦 holds an era year up to 99: 令和99年 is 2117
@given(st.dates(min_value=dt.date(1868, 1, 25), max_value=dt.date(2117, 12, 31)))
def test_dates_decode_to_the_same_day_in_western_and_wareki_form(day: dt.date) -> None:
    western = day.strftime("%Y%m%d")
    assert tabular.western_of("yyyymmdd", western) == day
    assert tabular.wareki_of("yyyymmdd", western) == wareki_text(day)
    assert tabular.western_of("wareki", to_wareki(day)) == day
    assert tabular.wareki_of("wareki", to_wareki(day)) == wareki_text(day)


@given(
    st.text(alphabet=st.characters(codec="cp932", exclude_characters="¢£¬‖−〜"), max_size=30),
    st.integers(-(10**12), 10**12),
)
def test_csv_cells_read_back_as_written_in_either_encoding(text: str, amount: int) -> None:
    columns = [
        tabular.Column("預金者名", "text", 30, lambda row: row["name"]),
        tabular.Column("引落金額", "amount", 14, lambda row: row["amount"]),
    ]
    for encoding in ("utf-8-sig", "cp932"):
        out = io.BytesIO()
        tabular.write_csv(out, columns, [{"name": text, "amount": amount}], encoding=encoding)
        rows = list(csv.reader(io.StringIO(out.getvalue().decode(encoding), newline="")))
        assert rows[0] == ["預金者名", "引落金額"]
        assert unguard(rows[1][0]) == text and int(rows[1][1]) == amount


def test_a_request_has_no_result_meaning_its_result_code_0_is_not_a_debit(
    write_file: WriteFile, tmp_path: Path
) -> None:
    out = tmp_path / "seikyu.csv"
    request = zengin_debit.build([{"header": DEBIT_HEADER, "records": [payer(0)]}])
    kokin("convert", write_file(request), "--format", "zengin-debit", "--to", "csv", "-o", out)
    row = csv_rows(out)[0]
    assert row["振替結果コード"] == "0" and "結果内容" not in row
    assert "振替済" not in out.read_bytes().decode("utf-8-sig")
