"""Cells a spreadsheet will not run: the one guard of every CSV and Excel file kokin writes.

A spreadsheet reads a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a carriage
return before one) as a formula, and ``-HYPERLINK(...)`` or ``=1+1`` in a holder's name, a failed
login's ID or a fault message would run on the operator's terminal (OWASP "CSV injection"). A text cell
that starts so gets a leading ``'``, which spreadsheets show as text; so does a text cell that starts
with ``'`` itself, so that :func:`unguard` gives back exactly what was written. Numbers (``int``,
:class:`~decimal.Decimal`, ``float``) are not text: they stay numbers.

>>> guard("-1-1"), guard("=1+1"), guard("'x"), guard("カ)コキン"), guard(-5)
("'-1-1", "'=1+1", "''x", 'カ)コキン', -5)
>>> unguard(guard("@SUM(A1)"))
'@SUM(A1)'

In an Excel workbook a cell's type decides instead: :func:`xlsx_cell` writes text as a string cell
(never a formula, whatever it starts with; the quote prefix keeps it text when edited) and numbers as
number cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

#: a text cell starting with one of these is written with a leading ``'``
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_GUARDED_START = (*DANGEROUS_START, "'")


def guard(value: Any) -> Any:
    """``value`` as a CSV cell: text that would start a formula gets a leading ``'``; numbers stay numbers."""
    if isinstance(value, str):
        return "'" + value if value.startswith(_GUARDED_START) else value
    if value is None:
        return ""
    if isinstance(value, int | Decimal | float):
        return value
    return guard(str(value))


def guard_row(values: Iterable[Any]) -> list[Any]:
    return [guard(v) for v in values]


def unguard(cell: str) -> str:
    """A text cell as it was before :func:`guard`."""
    return cell[1:] if cell.startswith("'") else cell


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """``value`` as a cell of a write-only worksheet: a number cell for numbers, else a string cell."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if isinstance(value, int | Decimal | float):
        return WriteOnlyCell(sheet, value=value)
    text = value if isinstance(value, str) else str(value)
    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl takes a string starting with "=" for a formula: the type is set after the value
    cell.data_type = "s"
    if text.startswith(_GUARDED_START):
        cell.quotePrefix = True
    return cell


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[WriteOnlyCell]:
    return [xlsx_cell(sheet, v) for v in values]
