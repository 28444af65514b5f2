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
from kokin.formats.framing import Block, RecordReader
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


#: codes of at most this many digits are counted with one bincount (10**n slots) instead of sorting
BINCOUNT_DIGITS = 4
#: per block, a sum of amounts stays below 2**53, so bincount's float64 weights add them exactly
_EXACT = 2**53


def _groups(column: np.ndarray, f: Field, values: np.ndarray) -> list[tuple[str, int, int]]:
    """(code, count, amount) per distinct value of one field in a block's data records."""
    digits = f.length <= BINCOUNT_DIGITS and bool(((column >= 48) & (column <= 57)).all())
    if digits and int(np.abs(values).sum()) < _EXACT:
        codes = digits_to_int(column, digits_only=True)
        counts = np.bincount(codes, minlength=10**f.length)
        sums = np.bincount(codes, weights=values, minlength=10**f.length)
        present = np.flatnonzero(counts)
        return [(f"{i:0{f.length}d}", int(counts[i]), int(sums[i])) for i in present]
    keys = column.view(f"S{f.length}").ravel()
    unique, inverse = np.unique(keys, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(unique))
    sums = np.zeros(len(unique), dtype=np.int64)
    np.add.at(sums, inverse, values)
    return [
        (bytes(key).decode("cp932", "replace").strip(), int(count), int(total))
        for key, count, total in zip(unique, counts, sums, strict=True)
    ]


class Summariser:
    """The summary built block by block: :meth:`add` takes the blocks of a :class:`RecordReader`
    (as the format engine sees them, so one read of the file serves both), :meth:`result` gives the
    summary. A block's buffers are reused by the reader: :meth:`add` keeps no reference to them."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.kpos = layout.kind_position - 1
        self.header_code = ord(layout.kind("header").code)
        self.data_code = ord(layout.kind("data").code)
        self.amount = _field(layout, "data", layout.extra.get("amount_field", "amount"))
        self.header_fields = [f for name in HEADER_FIELDS if (f := _field(layout, "header", name)) is not None]
        self.group_fields = [f for name in layout.extra.get("summary_by", ()) if (f := _field(layout, "data", name))]
        self.groups: dict[str, dict[str, list[int]]] = {f.name: {} for f in self.group_fields}
        self.batches: list[dict[str, Any]] = []
        self.data_records = 0
        self.total_amount = 0

    def add(self, block: Block) -> None:
        rows, numbers = block.rows, block.numbers
        kinds = rows[:, self.kpos]
        is_header = kinds == self.header_code
        batches = self.batches
        for i in np.flatnonzero(is_header):
            entry: dict[str, Any] = {"record": int(numbers[i]), "count": 0, "amount": 0}
            entry.update({f.name: _text(rows[i], f) for f in self.header_fields})
            batches.append(entry)
        is_data = kinds == self.data_code
        if not is_data.any():
            return
        count = int(np.count_nonzero(is_data))
        every = count == len(rows)  # the usual block: data records only (no copy of the rows is needed)

        def column(f: Field) -> np.ndarray:
            return np.ascontiguousarray(rows[:, f.slice] if every else rows[:, f.slice][is_data])

        amount = self.amount
        values = digits_to_int(column(amount)) if amount is not None else np.zeros(count, dtype=np.int64)
        self.data_records += count
        self.total_amount += int(values.sum())
        headers = int(is_header.sum())
        if not headers:  # the usual block: all of it inside the last batch
            if batches:
                batches[-1]["count"] += count
                batches[-1]["amount"] += int(values.sum())
        else:
            # batch index of every row: headers seen before this block plus those in it up to the row
            owners = (len(batches) - headers - 1 + np.cumsum(is_header))[is_data]
            for b in np.unique(owners):
                if b < 0:
                    continue
                mine = owners == b
                batches[int(b)]["count"] += int(mine.sum())
                batches[int(b)]["amount"] += int(values[mine].sum())
        for f in self.group_fields:
            bucket = self.groups[f.name]
            for code, n, total in _groups(column(f), f, values):
                slot = bucket.setdefault(code, [0, 0])
                slot[0] += n
                slot[1] += total

    def result(self, records: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.layout.name,
            "records": records,
            "batches": len(self.batches),
            "data_records": self.data_records,
            "total_amount": self.total_amount,
            "batch_list": self.batches,
        }
        for name, bucket in self.groups.items():
            out[f"by_{name}"] = {code: {"count": c, "amount": a} for code, (c, a) in sorted(bucket.items())}
        return out


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
    summariser = Summariser(layout)
    for block in reader.blocks():
        summariser.add(block)
    return summariser.result(reader.records)
