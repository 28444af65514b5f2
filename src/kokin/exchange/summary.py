"""The summary of a stored file — batches, counts, totals, per result code and per bank — computed
in one streaming pass over its records (numpy per block), so a 100 MB file is never held whole.

The keys match :func:`kokin.formats.base.summary` (``records``, ``batches``, ``data_records``,
``total_amount``, ``by_<field>``), plus ``batch_list``: per batch its header record number, the
header's identifying values (consignor, debit date where the layout has them) and its count and total.
Run it on a file that passed validation: it assumes well-formed records.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np

from kokin.formats.engine import digits_to_int
from kokin.formats.errors import Report
from kokin.formats.framing import RecordReader
from kokin.formats.layout import Field, Layout

#: header fields copied into ``batch_list`` when the layout has them
HEADER_FIELDS = ("consignor_code", "debit_date", "creation_date", "municipality_code", "collector_number")


def _field(layout: Layout, kind: str, name: str) -> Field | None:
    try:
        return layout.kind(kind).field(name)
    except KeyError:
        return None


def _text(row: np.ndarray, f: Field) -> str:
    return row[f.slice].tobytes().decode("cp932", "replace").strip()


def summarise(stream: BinaryIO, layout: Layout) -> dict[str, Any]:
    """Read ``stream`` to the end and return the summary (see the module docstring)."""
    reader = RecordReader(
        stream,
        layout.record_length,
        Report(),
        separators=layout.separators,
        ebcdic=layout.extra.get("ebcdic"),
        first_kind=layout.kinds[0].code.encode("ascii"),
    )
    kpos = layout.kind_position - 1
    header_code = ord(layout.kind("header").code)
    data_code = ord(layout.kind("data").code)
    amount = _field(layout, "data", layout.extra.get("amount_field", "amount"))
    header_fields = [f for name in HEADER_FIELDS if (f := _field(layout, "header", name)) is not None]
    group_fields = [f for name in layout.extra.get("summary_by", ()) if (f := _field(layout, "data", name))]
    groups: dict[str, dict[str, list[int]]] = {f.name: {} for f in group_fields}
    batches: list[dict[str, Any]] = []
    data_records = 0
    total_amount = 0
    for block in reader.blocks():
        rows, numbers = block.rows, block.numbers
        kinds = rows[:, kpos]
        is_header = kinds == header_code
        for i in np.flatnonzero(is_header):
            entry: dict[str, Any] = {"record": int(numbers[i]), "count": 0, "amount": 0}
            entry.update({f.name: _text(rows[i], f) for f in header_fields})
            batches.append(entry)
        # batch index of every row: headers seen before this block plus those in it up to the row
        batch_of = len(batches) - int(is_header.sum()) - 1 + np.cumsum(is_header)
        is_data = kinds == data_code
        if not is_data.any():
            continue
        data = rows[is_data]
        values = digits_to_int(np.ascontiguousarray(data[:, amount.slice])) if amount is not None else None
        values = values if values is not None else np.zeros(len(data), dtype=np.int64)
        data_records += len(data)
        total_amount += int(values.sum())
        owners = batch_of[is_data]
        for b in np.unique(owners):
            if b < 0:
                continue
            mine = owners == b
            batches[int(b)]["count"] += int(mine.sum())
            batches[int(b)]["amount"] += int(values[mine].sum())
        for f in group_fields:
            keys = np.ascontiguousarray(data[:, f.slice]).view(f"S{f.length}").ravel()
            unique, inverse = np.unique(keys, return_inverse=True)
            counts = np.bincount(inverse, minlength=len(unique))
            sums = np.zeros(len(unique), dtype=np.int64)
            np.add.at(sums, inverse, values)
            bucket = groups[f.name]
            for key, count, total in zip(unique, counts, sums, strict=True):
                code = bytes(key).decode("cp932", "replace").strip()
                slot = bucket.setdefault(code, [0, 0])
                slot[0] += int(count)
                slot[1] += int(total)
    out: dict[str, Any] = {
        "format": layout.name,
        "records": reader.records,
        "batches": len(batches),
        "data_records": data_records,
        "total_amount": total_amount,
        "batch_list": batches,
    }
    for name, bucket in groups.items():
        out[f"by_{name}"] = {code: {"count": c, "amount": a} for code, (c, a) in sorted(bucket.items())}
    return out
