"""Conversions of a decoded file: JSON, CSV (Excel-friendly), Excel, Parquet, and the text summary.

Every output is written atomically: to a temporary file in the same folder, flushed to disk, then
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kokin.formats import tabular
from kokin.formats.engine import Parsed
from kokin.formats.files import write_atomic
from kokin.formats.progress import Tick, counted
from kokin.formats.tabular import Headers

if TYPE_CHECKING:
    import pyarrow as pa

EXCEL_MAX_ROWS = tabular.EXCEL_MAX_ROWS


def to_json_document(parsed: Parsed) -> dict[str, Any]:
    return {"format": parsed.layout.name, "batches": parsed.batches()}


def _data_table(parsed: Parsed) -> pa.Table:
    data = parsed.tables.get("data")
    if data is None:
        import pyarrow as pa

        return pa.table({})
    return data


def _rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """The table's rows as dicts, a record batch at a time (never the whole table as Python objects)."""
    for batch in table.to_batches():
        yield from batch.to_pylist()


def write_csv(
    parsed: Parsed,
    path: str | Path,
    *,
    encoding: str = "utf-8-sig",
    headers: Headers = "ja",
    progress: Tick | None = None,
) -> None:
    """The data records, one row each with the batch number; text quoted for Excel and guarded against
    formulas (:mod:`kokin.formats.cells`), numbers as numbers. ``headers="ja"``: the layout's Japanese
    labels and the decoded columns beside the codes; ``"en"``: field IDs only (:mod:`kokin.formats.tabular`).
    ``progress`` is told the rows written."""
    table = _data_table(parsed)
    kind = parsed.layout.kind("data")
    plain = tabular.undecoded(parsed.layout, parsed.mode)
    columns = tabular.record_columns(kind, table.column_names, headers, plain=plain)

    def write(fh: IO[bytes]) -> None:
        tabular.write_csv(fh, columns, counted(_rows(table), progress), encoding=encoding)

    write_atomic(path, write)


def write_xlsx(
    parsed: Parsed,
    path: str | Path,
    *,
    headers: Headers = "ja",
    max_rows: int = tabular.EXCEL_MAX_ROWS,
    progress: Tick | None = None,
) -> None:
    """One sheet per record kind, the data records first (Japanese headers: named after the kind,
    データレコード; ``"en"``: ``data``); typed cells, identifiers as text so Excel keeps their zeros, no
    text cell ever a formula. A kind with more rows than a sheet holds goes on over further sheets
    (``データレコード (2)``…; :func:`kokin.formats.tabular.add_sheets`). ``progress`` is told the rows written."""
    order = sorted(parsed.tables, key=lambda kind: kind != "data")

    def sheets() -> Iterator[tuple[str, list[tabular.Column], Iterator[dict[str, Any]]]]:
        for name in order:
            table = parsed.tables[name]
            kind = parsed.layout.kind(name)
            plain = tabular.undecoded(parsed.layout, parsed.mode)
            columns = tabular.record_columns(kind, table.column_names, headers, plain=plain)
            yield (kind.ja if headers == "ja" else name), columns, counted(_rows(table), progress)

    def write(fh: IO[bytes]) -> None:
        tabular.write_xlsx(fh, sheets(), max_rows=max_rows)

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
