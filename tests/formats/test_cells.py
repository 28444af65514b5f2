"""The formula guard of every CSV and Excel file (:mod:`kokin.formats.cells`) and the two writers of
``kokin convert`` that use it: no text cell runs as a formula, numbers stay numbers."""

from __future__ import annotations

import csv
import doctest
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from kokin.formats import cells, convert
from kokin.formats.engine import Parsed
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, payer

#: what a spreadsheet would run (OWASP), and what the department's CSV used to carry
ATTACKS = ["-1-1", "=1+1", "@SUM(A1)", "+1", "\t=1", "\r=1", "-HYPERLINK(G3)"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
#: what openpyxl reads back (XML reads a carriage return as a line feed)
IN_XLSX = [a.replace("\r", "\n") for a in ATTACKS]


def read_back(row: list[Any], **options: Any) -> list[str]:
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n", **options).writerow(cells.guard_row(row))
    return next(csv.reader(io.StringIO(text.getvalue(), newline="")))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_guarded_text_cell_never_starts_a_formula_and_reads_back_exactly(value: str) -> None:
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC):
        (cell,) = read_back([value], quoting=quoting)
        assert not cell.startswith(DANGEROUS)
        assert cells.unguard(cell) == value


@settings(max_examples=200, deadline=None)
@given(st.integers() | st.decimals(allow_nan=False, allow_infinity=False))
def test_numbers_stay_numbers(value: int | Decimal) -> None:
    assert cells.guard(value) is value
    text = io.StringIO(newline="")
    csv.writer(text, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n").writerow(cells.guard_row([value]))
    assert not text.getvalue().startswith('"')  # unquoted: a number for the spreadsheet
    (cell,) = next(csv.reader(io.StringIO(text.getvalue(), newline="")))
    assert type(value)(cell) == value


def test_cells_doctests() -> None:
    assert doctest.testmod(cells).failed == 0


def test_every_attack_gets_a_leading_quote() -> None:
    assert read_back(ATTACKS) == ["'" + a for a in ATTACKS]
    assert cells.guard("ﾔﾏﾀﾞ ﾀﾛｳ") == "ﾔﾏﾀﾞ ﾀﾛｳ" and cells.guard(None) == ""


def _parsed_with(names: list[str]) -> Parsed:
    """A parsed debit file whose data table carries ``names`` as holder names (and their amounts).

    A Zengin field only takes ``-`` of the attacks' first characters, so the decoded table is replaced
    by one that has them all: the writers see what a profile with a wider character set would give."""
    parsed = zengin_debit.parse(zengin_debit.build([{"header": HEADER, "records": [payer(0)]}]))
    table = parsed.tables["data"]
    rows = {name: [table[name][0].as_py()] * len(names) for name in table.column_names if name != "holder_name"}
    rows["holder_name"] = names
    rows["amount"] = [-5, *range(1, len(names))]
    parsed.__dict__["tables"] = {**parsed.tables, "data": pa.table(rows)}
    return parsed


def test_convert_csv_guards_text_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    convert.write_csv(_parsed_with(ATTACKS), path, headers="en")
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["holder_name"] for r in rows] == ["'" + a for a in ATTACKS]
    assert [r["amount"] for r in rows] == ["-5", "1", "2", "3", "4", "5", "6"]
    assert ",-5," in text  # a negative amount is a number, not guarded text
    assert all(not cell.startswith(DANGEROUS) for r in rows for name, cell in r.items() if name != "amount")


def test_convert_csv_of_a_real_file_guards_a_holder_name_starting_with_minus(tmp_path: Path) -> None:
    records = [payer(0, holder_name="-1-1"), payer(1, holder_name="-HYPERLINK(G3)")]
    path = tmp_path / "out.csv"
    convert.write_csv(
        zengin_debit.parse(zengin_debit.build([{"header": HEADER, "records": records}])), path, headers="en"
    )
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    assert [r["holder_name"] for r in rows] == ["'-1-1", "'-HYPERLINK(G3)"]


def test_convert_xlsx_has_no_formula_cells_and_numeric_amounts(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    convert.write_xlsx(_parsed_with(ATTACKS), path, headers="en")
    sheet = load_workbook(path)["data"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    names = [row[header.index("holder_name")] for row in rows]
    assert [c.value for c in names] == IN_XLSX and all(c.data_type == "s" for c in names)
    amounts = [row[header.index("amount")] for row in rows]
    assert [c.value for c in amounts] == [-5, 1, 2, 3, 4, 5, 6] and all(c.data_type == "n" for c in amounts)
    customer = rows[0][header.index("customer_number")]
    assert customer.value == "00000000000000000001" and customer.data_type == "s"  # zeros kept


def test_xlsx_cell_types_any_value_by_what_it_is() -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    sheet.append(cells.xlsx_row(sheet, [*ATTACKS, 7, Decimal("1.5"), None]))
    out = io.BytesIO()
    workbook.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue()))["s"].iter_rows())
    assert [c.value for c in row[: len(ATTACKS)]] == IN_XLSX
    assert all(c.data_type == "s" for c in row[: len(ATTACKS)])
    assert [(c.value, c.data_type) for c in row[len(ATTACKS) :]] == [(7, "n"), (1.5, "n")]
