"""A version of a register as CSV for Excel: UTF-8 with a byte-order mark (so Excel reads the Japanese),
CRLF line ends, every text cell guarded against formulas (:mod:`kokin.formats.cells`).

Three blocks separated by an empty line: the heading items (label, value), the table with its header
row, and the changes (a heading line, then one change a line).
"""

from __future__ import annotations

import codecs
import csv
import io

from kokin.formats.cells import guard_row
from kokin.registers.report import Report


def render(report: Report) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for label, value in report.heading_items():
        writer.writerow(guard_row([label, value]))
    writer.writerow([])
    writer.writerow(guard_row(report.headers))
    for row in report.rows:
        writer.writerow(guard_row(row))
    writer.writerow([])
    writer.writerow(guard_row([report.changes_heading]))
    for line in report.changes:
        writer.writerow(guard_row([line]))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
