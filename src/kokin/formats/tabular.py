"""Spreadsheet exports for people: Japanese headers, decoded columns beside the codes, typed Excel.

Every CSV and Excel file of a bank file's records that kokin writes (``kokin convert --to csv|xlsx``,
the hub's CSV and Excel downloads, the 振替不能 list) takes its columns and its writers from here:

* a field's header is its Japanese label in the layout (:attr:`~kokin.formats.layout.Field.ja`), or
  with ``headers="en"`` its field ID (the columns of earlier versions, for a system that reads them);
* with Japanese headers, each code is followed by what it means: a bank or branch code by its name in
  the Zengin bank master (``…名（マスタ）``), a field with a code table
  (:attr:`~kokin.formats.layout.Field.codes`: 預金種目, 振替結果コード, 科目コード…) by the meaning, a
  date by its Western date (``（西暦）``) and its 和暦 (``（和暦）``); the raw codes stay as they are;
* Excel cells are typed: numbers as numbers (amounts and counts with ``#,##0``), dates as dates,
  identifiers as text (their leading zeros kept); the header row is frozen and the widths are set.

A sheet holds at most 1,048,576 rows, its header included (Excel's limit): further records go on
to a next sheet with the same header row, ``データレコード (2)`` and so on (:func:`add_sheets`).

>>> from kokin.formats.kinds import zengin_debit
>>> cols = record_columns(zengin_debit.LAYOUT.kind("data"), ["bank_code", "account_type", "result_code"])
>>> [c.title for c in cols]
['引落金融機関番号', '引落金融機関名（マスタ）', '預金種目', '預金種目名', '振替結果コード', '結果内容']
>>> [c.value({"bank_code": "0001", "account_type": "1", "result_code": "1"}) for c in cols]
['0001', 'みずほ', '1', '普通', '1', '資金不足']
>>> wareki_of("yyyymmdd", "20260527"), wareki_of("fiscal_year", "2019")
('令和8年5月27日', '平成31年度')
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Literal

from kokin.formats.cells import guard_row, xlsx_cell
from kokin.formats.dates import LENGTHS, era_of, to_western, wareki_text
from kokin.formats.layout import Field, Layout, RecordKind

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Headers = Literal["ja", "en"]
HEADERS: tuple[Headers, ...] = ("ja", "en")
#: how a column's cells are typed in Excel: text (identifiers too), a number, an amount or count
#: (``#,##0``), a date
ColumnType = Literal["text", "number", "amount", "date"]
#: Excel's rows per sheet, the header row included
EXCEL_MAX_ROWS = 1_048_576
AMOUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
#: the columns every record table has besides its fields
EXTRA_TITLES = {"batch": "バッチ番号", "record_number": "レコード番号"}
#: the header of the meaning of a code, where ``<label>（内容）`` would read badly
MEANING_TITLES = {"result_code": "結果内容", "account_type": "預金種目名", "item_code": "科目名"}
#: numeric fields that are serial numbers, not quantities: no thousands separator
SERIALS = {"sequence_number", "file_number", "batch", "record_number"}
MAX_WIDTH = 40.0


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, how Excel types its cells, its width, and its value in a row."""

    title: str
    type: ColumnType
    width: float
    value: Callable[[Mapping[str, Any]], Any]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a fixed-width font: two for a full-width character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _width(title: str, data: int) -> float:
    return float(min(max(display_width(title), data) + 2, MAX_WIDTH))


# --- decoding ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16_384)
def bank_name(code: str) -> str:
    """The bank's name in the Zengin bank master ("" for a code the master lacks)."""
    from kokin.formats.bankmaster import master

    bank = master().bank(code)
    return bank.name if bank is not None else ""


@functools.lru_cache(maxsize=65_536)
def branch_name(bank_code: str, branch_code: str) -> str:
    """The branch's name in the Zengin bank master ("" for a code the master lacks)."""
    from kokin.formats.bankmaster import master

    branch = master().branch(bank_code, branch_code)
    return branch.name if branch is not None else ""


def code_meaning(f: Field, code: Any) -> str:
    """What ``code`` of the field ``f`` means (its layout's code table; "" for a code not in it)."""
    return (f.codes or {}).get(str(code), "") if code is not None else ""


@functools.lru_cache(maxsize=65_536)
def western_of(style: str, text: str) -> dt.date | int | None:
    """A date field's Western date (a fiscal year's as the year; None when there is none)."""
    try:
        if style in ("yyyymmdd", "wareki") and len(text) == LENGTHS[style]:
            return to_western(text)
        if style == "fiscal_year":
            return int(text)
        if style == "wareki_year":
            return to_western(f"{text}0401").year
    except (ValueError, KeyError):
        return None
    return None


@functools.lru_cache(maxsize=65_536)
def wareki_of(style: str, text: str) -> str:
    """A date field in 和暦 (``令和8年5月27日``; a fiscal year ``令和8年度``; "" when it is not a date)."""
    value = western_of(style, text)
    if isinstance(value, dt.date):
        return wareki_text(value)
    if isinstance(value, int):
        try:
            _, name, year = era_of(dt.date(value, 4, 1))
        except ValueError:
            return ""
        return f"{name}{'元' if year == 1 else year}年度"
    return ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# --- columns ----------------------------------------------------------------------------------------


def _raw(name: str, title: str, type: ColumnType, width: float) -> Column:
    return Column(title, type, width, lambda row: row.get(name))


def _field_columns(f: Field, bank_field: str | None, headers: Headers) -> list[Column]:
    name = f.name
    title = name if headers == "en" else f.ja
    numeric: ColumnType = "number" if name in SERIALS else "amount"
    raw = _raw(name, title, numeric if f.numeric else "text", _width(title, f.length))
    if headers == "en":
        return [raw]
    out = [raw]
    if f.lookup == "bank":
        named = _named(f.ja)
        out.append(Column(named, "text", _width(named, 24), lambda row: bank_name(_text(row.get(name)))))
    elif f.lookup == "branch" and bank_field is not None:
        bank = bank_field
        named = _named(f.ja)
        out.append(
            Column(
                named, "text", _width(named, 24), lambda row: branch_name(_text(row.get(bank)), _text(row.get(name)))
            )
        )
    if f.codes:
        meaning = MEANING_TITLES.get(name, f"{f.ja}（内容）")
        width = max((display_width(v) for v in f.codes.values()), default=8)
        out.append(Column(meaning, "text", _width(meaning, width), lambda row: code_meaning(f, row.get(name))))
    if f.date in ("yyyymmdd", "wareki", "wareki_year"):
        style = f.date
        western = f"{f.ja}（西暦）"
        kind: ColumnType = "number" if style == "wareki_year" else "date"
        out.append(Column(western, kind, _width(western, 12), lambda row: western_of(style, _text(row.get(name)))))
    if f.date in ("yyyymmdd", "wareki", "fiscal_year"):
        style = f.date
        wareki = f"{f.ja}（和暦）"
        out.append(Column(wareki, "text", _width(wareki, 18), lambda row: wareki_of(style, _text(row.get(name)))))
    return out


def _named(label: str) -> str:
    """The header of a bank or branch name from its code's label: 引落金融機関番号 → 引落金融機関名（マスタ）."""
    for suffix in ("番号", "コード"):
        if label.endswith(suffix):
            return f"{label.removesuffix(suffix)}名（マスタ）"
    return f"{label}の名称（マスタ）"


def undecoded(layout: Layout, mode: str) -> tuple[str, ...]:
    """The fields whose codes mean nothing yet in a file of ``mode``: a request's 振替結果コード (0 there
    is the blank of a request, not 振替済)."""
    marker = layout.extra.get("result_marker")
    return (str(marker),) if marker and mode != "result" else ()


def record_columns(
    kind: RecordKind, names: Sequence[str], headers: Headers = "ja", *, plain: Collection[str] = ()
) -> list[Column]:
    """The columns of an export of ``kind``'s records whose values are ``names`` (field IDs, ``batch``,
    ``record_number``): each name's column and, with Japanese headers, its decoded columns (none for
    the fields in ``plain``, see :func:`undecoded`)."""
    if headers not in HEADERS:
        raise ValueError(f"unknown headers {headers!r} (ja or en)")
    fields = {f.name: f for f in kind.fields}
    out: list[Column] = []
    bank_field: str | None = None
    for name in names:
        f = fields.get(name)
        if f is None:
            title = EXTRA_TITLES.get(name, name) if headers == "ja" else name
            out.append(_raw(name, title, "number", _width(title, 8)))
            continue
        if f.lookup == "bank":
            bank_field = name
        columns = _field_columns(f, bank_field, headers)
        out.extend(columns[:1] if name in plain else columns)
    return out


# --- writers ----------------------------------------------------------------------------------------


def write_csv(out: IO[bytes], columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, encoding: str) -> None:
    """``rows`` as CSV into ``out``: a header row, CRLF, text quoted (Excel keeps zeros) and guarded
    against formulas (:mod:`kokin.formats.cells`), numbers as numbers, dates as ``YYYY-MM-DD``."""
    text = io.TextIOWrapper(out, encoding=encoding, newline="", errors="strict", write_through=False)
    writer = csv.writer(text, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow(guard_row(c.value(row) for c in columns))
    text.flush()
    text.detach()


def _cell(sheet: WriteOnlyWorksheet, column: Column, value: Any) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    if value is None or (value == "" and column.type != "text"):
        return WriteOnlyCell(sheet, value=None)
    if column.type == "date" and isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    cell = xlsx_cell(sheet, value)
    if column.type == "amount" and isinstance(value, int):
        cell.number_format = AMOUNT_FORMAT
    return cell


def _new_sheet(workbook: Workbook, name: str, columns: Sequence[Column]) -> WriteOnlyWorksheet:
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([xlsx_cell(sheet, c.title) for c in columns])
    return sheet


def sheet_name(name: str, number: int) -> str:
    """The ``number``-th sheet of ``name``: ``name``, then ``name (2)``… (31 characters at most, Excel's limit)."""
    suffix = "" if number == 1 else f" ({number})"
    return name[: 31 - len(suffix)] + suffix


def add_sheets(
    workbook: Workbook,
    name: str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    *,
    max_rows: int = EXCEL_MAX_ROWS,
) -> int:
    """``rows`` into write-only sheets of ``workbook``: each with the header row frozen and the widths
    set, at most ``max_rows`` rows a sheet (header included), then the next sheet. Returns the number
    of sheets (one even for no rows)."""
    if max_rows < 2:
        raise ValueError("a sheet needs room for its header and one row")
    sheets = 1
    sheet = _new_sheet(workbook, sheet_name(name, sheets), columns)
    used = 1
    for row in rows:
        if used == max_rows:
            sheets += 1
            sheet = _new_sheet(workbook, sheet_name(name, sheets), columns)
            used = 1
        sheet.append([_cell(sheet, c, c.value(row)) for c in columns])
        used += 1
    return sheets


def write_xlsx(
    out: IO[bytes],
    sheets: Iterable[tuple[str, Sequence[Column], Iterable[Mapping[str, Any]]]],
    *,
    max_rows: int = EXCEL_MAX_ROWS,
) -> None:
    """A workbook of ``(name, columns, rows)`` sheets (:func:`add_sheets`) into ``out``."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, columns, rows in sheets:
        add_sheets(workbook, name, columns, rows, max_rows=max_rows)
    workbook.save(out)
