"""Conversions of a parsed file: JSON document, CSV (UTF-8 BOM and cp932), Excel, Parquet, summary text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from kokin.formats import convert, detect, files
from kokin.formats.engine import Parsed
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, batch, payer


def parsed_file(result: bool = False) -> Parsed:
    records = [payer(0, holder_name="ﾔﾏﾀﾞ ﾀﾛｳ"), payer(1, holder_name="ｶ)ﾒｸﾞﾛ", result_code="1" if result else "0")]
    return zengin_debit.parse(zengin_debit.build([{"header": HEADER, "records": records}, batch(0)], result=result))


def test_json_document_has_the_format_and_the_batches() -> None:
    doc = convert.to_json_document(parsed_file())
    assert doc["format"] == "zengin-debit"
    assert [len(b["records"]) for b in doc["batches"]] == [2, 0]
    first = doc["batches"][0]
    assert set(first) == {"header", "records", "trailer"}
    assert first["records"][1]["holder_name"] == "ｶ)ﾒｸﾞﾛ"
    assert first["records"][0]["customer_number"] == "00000000000000000001"
    assert first["trailer"]["total_amount"] == 2001
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc  # plain JSON types only


def test_json_identifiers_are_strings_and_amounts_are_ints() -> None:
    doc = convert.to_json_document(parsed_file())
    header = doc["batches"][0]["header"]
    record = doc["batches"][0]["records"][0]
    trailer = doc["batches"][0]["trailer"]
    for key in ("consignor_code", "bank_code", "branch_code", "account_number", "debit_date"):
        assert isinstance(header[key], str)
    assert header["bank_code"] == "0001" and header["branch_code"] == "001"
    assert isinstance(record["amount"], int) and record["amount"] == 1000
    for key in ("total_count", "total_amount", "transferred_count", "failed_amount"):
        assert isinstance(trailer[key], int)
    assert record["holder_name"] == "ﾔﾏﾀﾞ ﾀﾛｳ" and header["bank_name"] == "ﾐｽﾞﾎ"  # trailing spaces gone


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_csv_has_one_row_per_data_record_with_batch_and_record_number(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "out.csv"
    convert.write_csv(parsed_file(), path, encoding=encoding, headers="en")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    assert rows[0][0] == "batch" and rows[0][-1] == "record_number"
    assert "dummy_1" not in rows[0]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [(r["batch"], r["record_number"]) for r in body] == [("1", "2"), ("1", "3")]
    assert body[1]["holder_name"] == "ｶ)ﾒｸﾞﾛ"
    assert body[0]["bank_code"] == "0001" and body[0]["amount"] == "1000"


def test_csv_quotes_text_so_excel_keeps_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    convert.write_csv(parsed_file(), path)
    line = path.read_bytes().decode("utf-8-sig").splitlines()[1]
    assert ',"0001",' in line and ",1000," in line


def test_cp932_csv_holds_half_width_kana_as_single_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    convert.write_csv(parsed_file(), path, encoding="cp932")
    assert "ﾔﾏﾀﾞ ﾀﾛｳ".encode("cp932") in path.read_bytes()


def test_xlsx_has_one_sheet_per_record_kind_with_text_identifiers(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    convert.write_xlsx(parsed_file(), path, headers="en")
    book = load_workbook(path, read_only=True)
    assert set(book.sheetnames) == {"header", "data", "trailer", "end"}
    data = list(book["data"].iter_rows(values_only=True))
    assert data[0][0] == "batch" and len(data) == 3
    row = dict(zip(data[0], data[1], strict=True))
    assert row["bank_code"] == "0001" and row["amount"] == 1000 and row["holder_name"] == "ﾔﾏﾀﾞ ﾀﾛｳ"
    trailer = dict(zip(*list(book["trailer"].iter_rows(values_only=True))[:2], strict=True))
    assert trailer["total_amount"] == 2001


def test_parquet_holds_the_data_records_and_header_and_trailer_as_metadata(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    convert.write_parquet(parsed_file(), path)
    table = pq.read_table(path)
    assert table.num_rows == 2
    assert table.column("customer_number").to_pylist() == ["00000000000000000001", "00000000000000000002"]
    assert table.column("amount").to_pylist() == [1000, 1001]
    meta = table.schema.metadata
    assert meta[b"kokin.format"] == b"zengin-debit"
    headers = json.loads(meta[b"kokin.header"])
    trailers = json.loads(meta[b"kokin.trailer"])
    assert [h["record_number"] for h in headers] == [1, 5]
    assert [t["total_count"] for t in trailers] == [2, 0]


def test_outputs_are_written_atomically_without_leftovers(tmp_path: Path) -> None:
    parsed = parsed_file()
    convert.write_csv(parsed, tmp_path / "a.csv")
    convert.write_xlsx(parsed, tmp_path / "a.xlsx")
    convert.write_parquet(parsed, tmp_path / "a.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.parquet", "a.xlsx"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "keep.csv"
    path.write_bytes(b"old")

    def broken(fh: object) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        files.write_atomic(path, broken)  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]


def test_summary_text_shows_counts_result_codes_and_banks() -> None:
    parsed = parsed_file(result=True)
    summary = zengin_debit.summary(parsed)
    summary["detected_because"] = detect(zengin_debit.build([batch(1)]))[1]
    text = convert.summary_text(summary, parsed)
    assert "形式 format: zengin-debit" in text
    assert "種類 kind: 結果 result" in text and "区切り separator: CR LF" in text
    assert "バッチ batches: 2" in text and "データ data: 2" in text and "合計金額 total: 2,001 円" in text
    assert "0 振替済 (transferred): 1 件 1,000 円" in text
    assert "1 資金不足 (insufficient funds): 1 件 1,001 円" in text
    assert "金融機関別 by bank:" in text and "0001 みずほ: 2 件 2,001 円" in text
    assert "エラー errors: 0  警告 warnings: 0" in text
