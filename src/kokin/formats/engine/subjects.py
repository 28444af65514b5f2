"""Who a faulty record is about: the fields that name a data record (顧客番号 and 預金者名 of a debit
record, the 納付番号 or 通知書番号 of a collection record), added to the record's issues as
``FormatIssue.subject`` so an operator can find the payer in their own system; and the faulty field's
Japanese name in the record's own kind (``FormatIssue.label``: a header's 取引金融機関番号 is not a data
record's 引落金融機関番号).

:func:`name_records` runs after the engine has checked one block, over the issues that block added,
while the block's bytes are still there; it reads only the records that have issues.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kokin.formats.errors import Report
from kokin.formats.framing import Block
from kokin.formats.layout import Layout

#: the data record's naming fields per layout (by the layout's name)
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "zengin-debit": ("customer_number", "holder_name"),
    "mpn-receipt": ("payment_number",),
    "general-receipt": ("notice_number",),
    "general-receipt-waste": ("notice_number",),
    "special-receipt": ("employer_number",),
    "special-breakdown": ("employer_number", "employer_name"),
}


#: control characters (a NUL in a name) are shown as the replacement character
_CONTROLS = {c: "\ufffd" for c in [*range(0x20), 0x7F]}


def _text(raw: bytes) -> str:
    return raw.decode("cp932", errors="replace").translate(_CONTROLS).rstrip(" \u3000")


def name_records(report: Report, since: tuple[int, int], block: Block, layout: Layout) -> None:
    """Give the issues added to ``report`` since ``since`` (lengths of its error and warning lists)
    that point at a record of ``block`` the field's Japanese name in that record's kind and, for a data
    record, the record's naming fields."""
    if block.numbers.size == 0:
        return
    by_code = {ord(kind.code): kind for kind in layout.kinds}
    data = next((kind for kind in layout.kinds if kind.name == "data"), None)
    names = RECORD_KEYS.get(layout.name, ())
    keys = [data.field(name) for name in names] if data is not None else []
    position = layout.kind_position - 1
    first, last = int(block.numbers[0]), int(block.numbers[-1])
    for bucket, start in ((report.errors, since[0]), (report.warnings, since[1])):
        for index in range(start, len(bucket)):
            issue = bucket[index]
            if issue.record is None or not first <= issue.record <= last:
                continue
            at = int(np.searchsorted(block.numbers, issue.record))
            if at >= len(block.numbers) or int(block.numbers[at]) != issue.record:
                continue
            row = block.rows[at]
            kind = by_code.get(int(row[position]))
            if kind is None:
                continue
            label = next((f.ja for f in kind.fields if f.name == issue.field), issue.label)
            subject = issue.subject
            if kind is data and keys and not subject:
                subject = tuple((f.ja, _text(row[f.slice].tobytes())) for f in keys)
            bucket[index] = dataclasses.replace(issue, subject=subject, label=label)
