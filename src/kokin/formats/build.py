"""Building files: batches of records → the bytes of a file, trailers and the end record computed.

One writer (:class:`_File`) numbers the records, encodes headers, trailers and the end record and
joins the lines (CR LF or none, EBCDIC, 0x1A); what differs is how the data records are encoded:

* :func:`build_batches` (and :func:`build_numbered` for the collection layouts) record by record,
  field by field from dicts, so an error names the record: right for files of a few thousand records;
* :func:`build_columns` column-wise, for the bank simulator's large days: numbers are written for all
  records at once with numpy, and every other value is encoded once per distinct value by
  :func:`~kokin.formats.codec.encode_field` (the same bytes and errors) and copied into place. Its
  bytes equal :func:`build_numbered`'s for the same records (tested).

Trailer totals come from the layout's :class:`~kokin.formats.layout.Total` rules (:func:`trailer_totals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kokin.formats.codec import encode_field, encode_record
from kokin.formats.errors import FormatError, FormatIssue
from kokin.formats.framing import CP932_TO_EBCDIC
from kokin.formats.layout import Field, Layout, RecordKind

Column = Sequence[Any] | np.ndarray


def fixed_values(kind: RecordKind) -> dict[str, str]:
    """The fields of ``kind`` that allow one value only, with that value."""
    return {f.name: f.allowed[0] for f in kind.fields if f.allowed is not None and len(f.allowed) == 1}


def numbered_header(layout: Layout, header: Mapping[str, Any]) -> dict[str, Any]:
    """A collection header with its defaults: fixed values, code_division 0, file_number 1."""
    return {"code_division": "0", "file_number": 1, **fixed_values(layout.kind("header")), **header}


def _each(column: Column | str | int, count: int) -> Column:
    return [column] * count if isinstance(column, str | int | np.integer) else column


def trailer_totals(
    layout: Layout, columns: Mapping[str, Column | str | int], count: int, *, result: bool = False
) -> dict[str, int]:
    """The trailer's totals over a batch of ``count`` data records given as columns (a scalar is the
    same for every record; a missing ``where`` field is ""). Result-only totals are zero unless ``result``."""
    out: dict[str, int] = {}
    for t in layout.totals:
        if t.mode == "result" and not result:
            out[t.field] = 0
            continue
        chosen = np.ones(count, dtype=bool)
        if t.where is not None:
            name, op, value = t.where
            hit = np.array([str(v) == value for v in _each(columns.get(name, ""), count)], dtype=bool)
            chosen = hit if op == "==" else ~hit
        if t.op == "count":
            out[t.field] = int(chosen.sum())
        else:
            values = np.asarray(_each(columns[t.source or ""], count), dtype=np.int64)
            out[t.field] = int(values[chosen].sum())
    return out


class _File:
    """The records of a file as they are written: numbered from 1, each kind encoded by the library."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.parts: list[np.ndarray] = []
        self.count = 0

    def line(self, kind: str, values: Mapping[str, Any]) -> None:
        self.count += 1
        raw = encode_record(self.layout, self.layout.kind(kind), values, self.count)
        self.parts.append(np.frombuffer(raw, dtype=np.uint8).reshape(1, self.layout.record_length))

    def rows(self, rows: np.ndarray) -> None:
        self.count += len(rows)
        self.parts.append(rows)

    def finish(self, *, separator: str = "crlf", eof_mark: bool = False, ebcdic: bool = False) -> bytes:
        if any(k.name == "end" for k in self.layout.kinds):
            self.line("end", {})
        body = np.concatenate(self.parts) if self.parts else np.empty((0, self.layout.record_length), np.uint8)
        if separator == "crlf":
            body = np.hstack([body, np.broadcast_to(np.array([13, 10], dtype=np.uint8), (len(body), 2))])
        raw = body.tobytes()
        if ebcdic:
            raw = raw.translate(CP932_TO_EBCDIC)
        return raw + (b"\x1a" if eof_mark else b"")


def build_batches(
    batches: Sequence[Mapping[str, Any]],
    *,
    layout: Layout,
    separator: str = "crlf",
    eof_mark: bool = False,
    result: bool = False,
    ebcdic: bool = False,
) -> bytes:
    """Build a file from ``[{"header": {...}, "records": [...]}]``; trailers are computed.

    Trailer totals come from the layout's :class:`~kokin.formats.layout.Total` rules; totals for
    result files are zero unless ``result`` is set. A value that does not fit raises
    :class:`FormatError` naming the record and the field.
    """
    file = _File(layout)
    data = layout.kind("data")
    for batch in batches:
        file.line("header", batch["header"])
        records = batch["records"]
        encoded = b"".join(encode_record(layout, data, rec, file.count + i) for i, rec in enumerate(records, 1))
        file.rows(np.frombuffer(encoded, dtype=np.uint8).reshape(len(records), layout.record_length))
        columns = {name: [rec.get(name, "") for rec in records] for name in _total_sources(layout)}
        totals = trailer_totals(layout, columns, len(records), result=result)
        file.line("trailer", {**{k: v for k, v in (batch.get("trailer") or {}).items() if k not in totals}, **totals})
    return file.finish(separator=separator, eof_mark=eof_mark, ebcdic=ebcdic)


def _total_sources(layout: Layout) -> set[str]:
    return {name for t in layout.totals for name in (t.source, t.where[0] if t.where else None) if name}


def build_numbered(
    batches: Sequence[Mapping[str, Any]], *, layout: Layout, separator: str = "crlf", eof_mark: bool = False
) -> bytes:
    """:func:`build_batches` for the collection layouts: fixed values, code_division 0, file_number 1 and
    each record's sequence_number (1, 2, … per batch) are filled in unless given; code_division 1 writes EBCDIC."""
    fixed_data = fixed_values(layout.kind("data"))
    prepared = [
        {
            **batch,
            "header": numbered_header(layout, batch["header"]),
            "records": [{**fixed_data, "sequence_number": i, **rec} for i, rec in enumerate(batch["records"], 1)],
        }
        for batch in batches
    ]
    ebcdic = any(batch["header"]["code_division"] == "1" for batch in prepared)
    return build_batches(prepared, layout=layout, separator=separator, eof_mark=eof_mark, ebcdic=ebcdic)


# -- column-wise ------------------------------------------------------------------------------------

#: encoded distinct values per (layout, field): employer names and addresses recur every month
_CACHE: dict[tuple[str, str, str], bytes] = {}
_CACHE_LIMIT = 500_000


@dataclass
class ColumnBatch:
    """One header, ``count`` data records given as columns (a scalar is the same for every record)."""

    header: Mapping[str, Any]
    columns: Mapping[str, Column | str | int]
    count: int


def _encoded(layout: Layout, f: Field, value: Any) -> bytes:
    key = (layout.name, f.name, str(value))
    raw = _CACHE.get(key)
    if raw is None:
        raw = encode_field(f, value, layout.charset)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = raw
    return raw


def _numbers(f: Field, values: np.ndarray) -> np.ndarray:
    """n × length ASCII digits, zero-filled, for non-negative integers."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) and (values.min() < 0 or values.max() >= 10**f.length):
        bad = int(np.flatnonzero((values < 0) | (values >= 10**f.length))[0])
        raise FormatError(
            FormatIssue(
                None,
                f.name,
                "build",
                f"{f.ja}: 「{values[bad]}」は {f.length} 桁の数字になりません",
                f"{f.name}: '{values[bad]}' does not fit {f.length} digits",
                f.start,
                f.end,
            )
        )
    powers = 10 ** np.arange(f.length - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def _fill(layout: Layout, f: Field, rows: np.ndarray, value: Column | str | int | None) -> None:
    n = rows.shape[0]
    target = rows[:, f.slice]
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and f.type == "N":
        target[:] = _numbers(f, value)
        return
    if value is None:
        if f.type == "N" and not f.dummy and not f.blank_ok:
            encode_field(f, None, layout.charset)  # raises the library's "a value is required"
        target[:] = 32
        return
    if isinstance(value, str | int | np.integer):
        target[:] = np.frombuffer(_encoded(layout, f, value), dtype=np.uint8)
        return
    values = list(value)
    if len(values) != n:
        raise ValueError(f"column {f.name}: {len(values)} values for {n} records")
    distinct: dict[Any, int] = {}
    index = np.fromiter((distinct.setdefault(v, len(distinct)) for v in values), dtype=np.int64, count=n)
    table = np.frombuffer(b"".join(_encoded(layout, f, v) for v in distinct), dtype=np.uint8)
    target[:] = table.reshape(len(distinct), f.length)[index] if n else target


def build_columns(layout: Layout, batches: Sequence[ColumnBatch], *, separator: str = "crlf") -> bytes:
    """The bytes :func:`build_numbered` makes for these batches, built column-wise (cp932 only)."""
    data = layout.kind("data")
    fixed_data = fixed_values(data)
    file = _File(layout)
    for batch in batches:
        header = numbered_header(layout, batch.header)
        if header["code_division"] != "0":
            raise ValueError("the column builder writes cp932 files only (code_division 0)")
        file.line("header", header)
        rows = np.empty((batch.count, layout.record_length), dtype=np.uint8)
        columns: dict[str, Any] = {**fixed_data, "sequence_number": np.arange(1, batch.count + 1), **batch.columns}
        for f in data.fields:
            if f.name == "data_kind":
                rows[:, f.slice] = ord(data.code)
            else:
                _fill(layout, f, rows, None if f.dummy else columns.get(f.name))
        file.rows(rows)
        file.line("trailer", trailer_totals(layout, batch.columns, batch.count))
    return file.finish(separator=separator)
