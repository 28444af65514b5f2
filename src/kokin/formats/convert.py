"""Conversions of a decoded file: JSON, CSV (Excel-friendly), Excel, Parquet, and the text summary.

Every output is written atomically: to a temporary file in the same folder, flushed to disk, then
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kokin.formats.cells import guard_row, xlsx_row
from kokin.formats.engine import Parsed
from kokin.formats.files import write_atomic
from kokin.formats.progress import Tick, counted

if TYPE_CHECKING:
    import pyarrow as pa

EXCEL_MAX_ROWS = 1_048_576


def to_json_document(parsed: Parsed) -> dict[str, Any]:
    return {"format": parsed.layout.name, "batches": parsed.batches()}


def _data_table(parsed: Parsed) -> pa.Table:
    data = parsed.tables.get("data")
    if data is None:
        import pyarrow as pa

        return pa.table({})
    return data


def write_csv(parsed: Parsed, path: str | Path, *, encoding: str = "utf-8-sig", progress: Tick | None = None) -> None:
    """The data records, one row each with the batch number; every text value quoted for Excel and
    guarded against formulas (:mod:`kokin.formats.cells`), numbers as numbers. ``progress`` is told
    the rows written."""
    table = _data_table(parsed)
    names = table.column_names
    columns = [table[name].to_pylist() for name in names]

    def write(fh: IO[bytes]) -> None:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="", errors="strict")
        writer = csv.writer(text, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow(names)
        for row in counted(zip(*columns, strict=True), progress):
            writer.writerow(guard_row(row))
        text.flush()
        text.detach()

    write_atomic(path, write)


def write_xlsx(parsed: Parsed, path: str | Path, *, progress: Tick | None = None) -> None:
    """One sheet per record kind; identifiers are written as text so Excel keeps their zeros, and no
    text cell is ever a formula (:func:`kokin.formats.cells.xlsx_cell`). ``progress`` is told the rows
    written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for kind, table in parsed.tables.items():
        if len(table) >= EXCEL_MAX_ROWS:
            raise ValueError(
                f"{kind}: {len(table):,} rows do not fit in one Excel sheet "
                f"({EXCEL_MAX_ROWS:,} max) / Excel の1シートに収まりません"
            )
        sheet = workbook.create_sheet(kind)
        sheet.append(xlsx_row(sheet, table.column_names))
        columns = [table[name].to_pylist() for name in table.column_names]
        for row in counted(zip(*columns, strict=True), progress):
            sheet.append(xlsx_row(sheet, row))

    def write(fh: IO[bytes]) -> None:
        workbook.save(fh)

    write_atomic(path, write)


def write_parquet(parsed: Parsed, path: str | Path) -> None:
    """The data records as Parquet; header and trailer records travel as JSON in the file metadata."""
    import pyarrow.parquet as pq

    table = _data_table(parsed)
    meta = {
        b"kokin.format": parsed.layout.name.encode(),
        **{
            f"kokin.{kind}".encode(): json.dumps(parsed.tables[kind].to_pylist(), ensure_ascii=False).encode()
            for kind in parsed.tables
            if kind != "data"
        },
    }
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})

    def write(fh: IO[bytes]) -> None:
        pq.write_table(table, fh)

    write_atomic(path, write)


def summary_text(summary: dict[str, Any], parsed: Parsed) -> str:
    """The summary of ``kokin inspect`` for people: Japanese labels with English beside."""
    from kokin.formats.bankmaster import master
    from kokin.formats.header_text import header_lines
    from kokin.formats.items import ITEMS
    from kokin.formats.kinds.zengin_debit import RESULT_CODES

    layout = parsed.layout
    kind = ""
    if "result_marker" in layout.extra:
        kind = f"種類 kind: {'結果 result' if summary.get('mode') == 'result' else '請求 request'} / "
    lines = [
        f"形式 format: {summary['format']} ({summary['detected_because']})",
        kind
        + ("EBCDIC / " if parsed.ebcdic else "")
        + f"区切り separator: {'CR LF' if parsed.convention == 'crlf' else 'なし none'}",
        f"レコード records: {summary['records']:,}  バッチ batches: {summary['batches']}  "
        f"データ data: {summary['data_records']:,}  合計金額 total: {summary['total_amount']:,} 円",
        *header_lines(parsed),
    ]
    data_fields = {f.name: f for f in layout.kind("data").fields}
    for column in layout.extra.get("summary_by", ()):
        groups = summary.get(f"by_{column}")
        if not groups:
            continue
        f = data_fields[column]
        if column == "result_code":
            lines.append("振替結果コード別 by result code:")
        elif f.lookup == "bank":
            lines.append("金融機関別 by bank:" if column == "bank_code" else f"{f.ja}別 by {f.en}:")
        else:
            lines.append(f"{f.ja}別 by {f.en}:")
        for code, v in groups.items():
            if column == "result_code" and summary.get("mode") == "request" and code == "0":
                label = "請求 (未振替) (requested, not yet debited)"  # 0 is 振替済 only in a result
            elif column == "result_code":
                ja, en = RESULT_CODES.get(code, ("?", "?"))
                label = f"{ja} ({en})"
            elif f.lookup == "bank":
                bank = master().bank(code)
                label = bank.name if bank else "(マスタにない unknown)"
            elif column == "item_code" and code in ITEMS:
                label = ITEMS[code].ja
            else:
                label = ""
            lines.append(f"  {code} {label}: {v['count']:,} 件 {v['amount']:,} 円".replace(" :", ":"))
    lines.append(f"エラー errors: {summary['errors']:,}  警告 warnings: {summary['warnings']:,}")
    return "\n".join(lines)
