"""What every format module shares: open, parse, validate, walk, build, recognise.

A format module is a :class:`~kokin.formats.layout.Layout` plus :func:`face`, which returns the
module's public functions bound to that layout — so ``mpn_receipt.parse`` and ``zengin_debit.parse``
have one implementation and one signature (the summary is :func:`kokin.formats.summary.summary`).
Layout ``extra`` keys used here:

* ``signature`` — header fields whose values identify the format (for :func:`looks_like`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from kokin.formats.codec import encode_record, join_records
from kokin.formats.codec import iter_records as _iter_records
from kokin.formats.engine import Mode, Parsed, run
from kokin.formats.errors import ISSUE_LIMIT, Report
from kokin.formats.framing import EBCDIC_TO_CP932
from kokin.formats.layout import Layout, RecordKind

Source = bytes | str | os.PathLike[str] | BinaryIO


def open_source(source: Source) -> BinaryIO:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        return open(source, "rb")
    return source


def parse(
    source: Source,
    *,
    layout: Layout,
    mode: Mode = "auto",
    check_master: bool = True,
    max_issues: int | None = ISSUE_LIMIT,
    progress: Any = None,
) -> Parsed:
    """Validate and decode a whole file into Arrow tables (``header``, ``data``, ``trailer``)."""
    stream = open_source(source)
    try:
        return run(
            layout, stream, mode=mode, collect=True, check_master=check_master, max_issues=max_issues, progress=progress
        )
    finally:
        if stream is not source:
            stream.close()


def validate(
    source: Source,
    *,
    layout: Layout,
    mode: Mode = "auto",
    check_master: bool = True,
    max_issues: int | None = ISSUE_LIMIT,
    progress: Any = None,
) -> Report:
    """Check a file in constant memory; the report lists the first ``max_issues`` errors and warnings
    (None: all) and counts every one."""
    stream = open_source(source)
    try:
        return run(
            layout, stream, mode=mode, check_master=check_master, max_issues=max_issues, progress=progress
        ).report
    finally:
        if stream is not source:
            stream.close()


def iter_records(source: Source, *, layout: Layout) -> Iterator[dict[str, Any]]:
    """Walk a file record by record as dicts, in constant memory."""
    stream = open_source(source)
    try:
        yield from _iter_records(layout, stream)
    finally:
        if stream is not source:
            stream.close()


def build(
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
    header_kind, data_kind, trailer_kind = layout.kind("header"), layout.kind("data"), layout.kind("trailer")
    end_kind = layout.kind("end") if any(k.name == "end" for k in layout.kinds) else None
    out: list[bytes] = []
    for batch in batches:
        out.append(encode_record(layout, header_kind, batch["header"], len(out) + 1))
        totals = dict.fromkeys((t.field for t in layout.totals), 0)
        for rec in batch["records"]:
            out.append(encode_record(layout, data_kind, rec, len(out) + 1))
            for t in layout.totals:
                if t.mode == "result" and not result:
                    continue
                if t.where is not None:
                    fname, op, value = t.where
                    hit = str(rec.get(fname, "")) == value
                    if hit != (op == "=="):
                        continue
                totals[t.field] += 1 if t.op == "count" else int(rec[t.source or ""])
        trailer = {**{k: v for k, v in (batch.get("trailer") or {}).items() if k not in totals}, **totals}
        out.append(encode_record(layout, trailer_kind, trailer, len(out) + 1))
    if end_kind is not None:
        out.append(encode_record(layout, end_kind, {}, len(out) + 1))
    return join_records(out, separator=separator, eof_mark=eof_mark, ebcdic=ebcdic)


def fixed_values(kind: RecordKind) -> dict[str, str]:
    """The fields of ``kind`` that allow one value only, with that value."""
    return {f.name: f.allowed[0] for f in kind.fields if f.allowed is not None and len(f.allowed) == 1}


def build_numbered(
    batches: Sequence[Mapping[str, Any]], *, layout: Layout, separator: str = "crlf", eof_mark: bool = False
) -> bytes:
    """:func:`build` for the collection layouts: fixed values, code_division 0, file_number 1 and each
    record's sequence_number (1, 2, … per batch) are filled in unless given; code_division 1 writes EBCDIC."""
    fixed_header = {"code_division": "0", "file_number": 1, **fixed_values(layout.kind("header"))}
    fixed_data = fixed_values(layout.kind("data"))
    prepared = [
        {
            **batch,
            "header": {**fixed_header, **batch["header"]},
            "records": [{**fixed_data, "sequence_number": i, **rec} for i, rec in enumerate(batch["records"], 1)],
        }
        for batch in batches
    ]
    ebcdic = any(batch["header"]["code_division"] == "1" for batch in prepared)
    return build(prepared, layout=layout, separator=separator, eof_mark=eof_mark, ebcdic=ebcdic)


def looks_like(layout: Layout, head: bytes) -> tuple[bool, str]:
    """Does a file starting with ``head`` look like ``layout``? Say why in Japanese and English."""
    ebcdic = head[:1] == "1".encode("cp290") and layout.kinds[0].code == "1"
    text = head.translate(EBCDIC_TO_CP932) if ebcdic else head
    header = layout.kind("header")
    if text[layout.kind_position - 1 : layout.kind_position] != header.code.encode("ascii"):
        return False, ""
    newline = text.find(b"\r\n")
    if newline not in (-1, layout.record_length):
        return False, ""
    if (
        newline == -1
        and len(head) > layout.record_length
        and text[layout.record_length : layout.record_length + 1]
        not in (
            b"2",
            b"8",
            b"9",
        )
    ):
        return False, ""
    signature = layout.extra.get("signature", ())
    shown = []
    for name in signature:
        f = header.field(name)
        value = text[f.slice].decode("ascii", "replace")
        if f.allowed is not None and value not in f.allowed:
            return False, ""
        shown.append(f"{f.name}={value}")
    what = ", ".join(shown)
    suffix = " (EBCDIC)" if ebcdic else ""
    return True, (
        f"{layout.ja}: ヘッダーの {what}、{layout.record_length} バイトのレコード{suffix} / "
        f"{layout.en}: header {what}, {layout.record_length}-byte records{suffix}"
    )


@dataclass(frozen=True)
class Face:
    """The public functions of one format module, bound to its layout."""

    parse: Callable[..., Parsed]
    validate: Callable[..., Report]
    iter_records: Callable[..., Iterator[dict[str, Any]]]
    looks_like: Callable[[bytes], tuple[bool, str]]


def face(default: Layout) -> Face:
    def parse_(source: Source, *, layout: Layout = default, **options: Any) -> Parsed:
        return parse(source, layout=layout, **options)

    def validate_(source: Source, *, layout: Layout = default, **options: Any) -> Report:
        return validate(source, layout=layout, **options)

    def iter_records_(source: Source, *, layout: Layout = default) -> Iterator[dict[str, Any]]:
        return iter_records(source, layout=layout)

    def looks_like_(head: bytes) -> tuple[bool, str]:
        return looks_like(default, head)

    parse_.__doc__, validate_.__doc__, iter_records_.__doc__ = parse.__doc__, validate.__doc__, iter_records.__doc__
    return Face(parse_, validate_, iter_records_, looks_like_)
