"""The summary of a file: batches, counts, totals, per result code and per bank.

One :class:`Summariser` counts and totals; it is fed in either of two ways:

* block by block as the format engine reads a file (:meth:`Summariser.add`, numpy per block), so a
  100 MB file is never held whole: :func:`check_and_summarise` validates and summarises in one read
  (the hub's received files), :func:`summarise` only summarises;
* from a parsed file's data table (:func:`summary`, every format module's ``summary``, what
  ``kokin inspect`` prints).

Keys: ``format``, ``records``, ``batches``, ``data_records``, ``total_amount`` and ``by_<field>`` for
each of the layout's ``summary_by`` fields. A streamed summary adds ``batch_list``: per batch its
header record number, the header's identifying values (consignor, debit date where the layout has
them) and its count and total; and, where the data records carry a ``payment_date`` (収納日, YYYYMMDD),
``payment_dates``: the first and the last, as ISO dates. It assumes well-formed records, so run it on a
file that passes validation. A parsed file's summary adds ``mode``, ``errors`` and ``warnings``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from kokin.formats.engine import Parsed, digits_to_int, run
from kokin.formats.errors import Report
from kokin.formats.framing import Block, RecordReader
from kokin.formats.layout import Field, Layout

if TYPE_CHECKING:
    import pyarrow as pa

#: header fields copied into ``batch_list`` when the layout has them
HEADER_FIELDS = ("consignor_code", "debit_date", "creation_date", "municipality_code", "collector_number")
Groups = list[tuple[Any, int, int]]


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


def _groups(column: np.ndarray, f: Field, values: np.ndarray) -> Groups:
    """(code, count, amount) per distinct value of one field (n × length bytes) in a block's data records."""
    digits = f.length <= BINCOUNT_DIGITS and bool(((column >= 48) & (column <= 57)).all())
    if digits and int(np.abs(values).sum()) < _EXACT:
        codes = digits_to_int(column, digits_only=True)
        counts = np.bincount(codes, minlength=10**f.length)
        sums = np.bincount(codes, weights=values, minlength=10**f.length)
        present = np.flatnonzero(counts)
        return [(f"{i:0{f.length}d}", int(counts[i]), int(sums[i])) for i in present]
    keys = column.view(f"S{f.length}").ravel()
    unique, inverse = np.unique(keys, return_inverse=True)
    return _per_key((bytes(key).decode("cp932", "replace").strip() for key in unique), inverse, values)


def _table_groups(column: pa.ChunkedArray, values: np.ndarray) -> Groups:
    """(code, count, amount) per distinct value of a parsed table's column (codes as the table shows them)."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column).combine_chunks()
    return _per_key(encoded.dictionary.to_pylist(), encoded.indices.to_numpy(), values)


def _per_key(keys: Iterable[Any], inverse: np.ndarray, values: np.ndarray) -> Groups:
    inverse = inverse.ravel()
    keys = list(keys)
    counts = np.bincount(inverse, minlength=len(keys))
    sums = np.zeros(len(keys), dtype=np.int64)
    np.add.at(sums, inverse, values)
    return [(key, int(count), int(total)) for key, count, total in zip(keys, counts, sums, strict=True)]


class Summariser:
    """The summary built piece by piece: :meth:`add` takes the blocks of a :class:`RecordReader`
    (as the format engine sees them, so one read of the file serves both), :meth:`add_data` the data
    records' amounts and groups, :meth:`result` gives the summary. A block's buffers are reused by the
    reader: :meth:`add` keeps no reference to them."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.kpos = layout.kind_position - 1
        self.header_code = ord(layout.kind("header").code)
        self.data_code = ord(layout.kind("data").code)
        self.amount = _field(layout, "data", layout.extra.get("amount_field", "amount"))
        self.header_fields = [f for name in HEADER_FIELDS if (f := _field(layout, "header", name)) is not None]
        self.group_fields = [f for name in layout.extra.get("summary_by", ()) if (f := _field(layout, "data", name))]
        self.groups: dict[str, dict[Any, list[int]]] = {f.name: {} for f in self.group_fields}
        paid = _field(layout, "data", "payment_date")
        self.payment_date = paid if paid is not None and paid.date == "yyyymmdd" else None
        self.payment_dates: list[int] = []  # the first and the last seen, as YYYYMMDD
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
        self.add_data(values, {f.name: _groups(column(f), f, values) for f in self.group_fields})
        if self.payment_date is not None:
            self._add_payment_dates(digits_to_int(column(self.payment_date)))

    def _add_payment_dates(self, days: np.ndarray) -> None:
        seen = [int(days.min()), int(days.max()), *self.payment_dates]
        self.payment_dates = [min(seen), max(seen)]

    def add_data(self, values: np.ndarray, groups: dict[str, Groups]) -> None:
        """Data records: their amounts, and (code, count, amount) per group field."""
        self.data_records += len(values)
        self.total_amount += int(values.sum())
        for name, found in groups.items():
            bucket = self.groups[name]
            for code, n, total in found:
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
        if self.payment_dates:
            out["payment_dates"] = [_iso(day) for day in self.payment_dates]
        for name, bucket in self.groups.items():
            out[f"by_{name}"] = {code: {"count": c, "amount": a} for code, (c, a) in sorted(bucket.items())}
        return out


def _iso(day: int) -> str:
    """YYYYMMDD as YYYY-MM-DD (the file passed validation, so it is a real date)."""
    text = f"{day:08d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def _reader(stream: BinaryIO, layout: Layout) -> RecordReader:
    return RecordReader(
        stream,
        layout.record_length,
        Report(),
        separators=layout.separators,
        ebcdic=layout.extra.get("ebcdic"),
        first_kind=layout.kinds[0].code.encode("ascii"),
    )


def summarise(stream: BinaryIO, layout: Layout) -> dict[str, Any]:
    """Read ``stream`` to the end and return its streamed summary (see the module docstring)."""
    reader = _reader(stream, layout)
    summariser = Summariser(layout)
    for block in reader.blocks():
        summariser.add(block)
    return summariser.result(reader.records)


def check_and_summarise(stream: BinaryIO, layout: Layout, **options: Any) -> tuple[Parsed, dict[str, Any]]:
    """Validate a file and summarise it in one read: the format engine and the summary take the same
    blocks. ``options`` are :func:`kokin.formats.engine.run`'s (``mode``, ``max_issues``, …); the
    summary is only meaningful when the report has no errors."""
    summariser = Summariser(layout)
    parsed = run(layout, stream, on_block=summariser.add, **options)
    return parsed, summariser.result(parsed.records)


def summary(parsed: Parsed) -> dict[str, Any]:
    """Batches, counts and totals of a parsed file, grouped by the layout's ``summary_by`` fields."""
    layout = parsed.layout
    summariser = Summariser(layout)
    data = parsed.tables.get("data")
    if data is not None and len(data):
        values = data[layout.extra.get("amount_field", "amount")].to_numpy()
        summariser.add_data(values, {f.name: _table_groups(data[f.name], values) for f in summariser.group_fields})
        if summariser.payment_date is not None:
            days = [int(str(day).replace("-", "")) for day in data["payment_date"].to_pylist()]
            summariser.payment_dates = [min(days), max(days)]
    streamed = summariser.result(parsed.records)
    return {
        "format": layout.name,
        "mode": parsed.mode,
        "records": parsed.records,
        "batches": len(parsed.columns["header"]) if "header" in parsed.columns else 0,
        "data_records": streamed["data_records"],
        "total_amount": streamed["total_amount"],
        "errors": parsed.report.error_count,
        "warnings": parsed.report.warning_count,
        **{f"by_{name}": streamed.get(f"by_{name}", {}) for name in layout.extra.get("summary_by", ())},
        **({"payment_dates": streamed["payment_dates"]} if "payment_dates" in streamed else {}),
    }
