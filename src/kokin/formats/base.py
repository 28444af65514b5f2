"""What every format module shares: open, parse, validate, walk, recognise.

A format module is a :class:`~kokin.formats.layout.Layout` plus :func:`face`, which returns the
module's public functions bound to that layout — so ``mpn_receipt.parse`` and ``zengin_debit.parse``
have one implementation and one signature (building is :mod:`kokin.formats.build`, the summary
:func:`kokin.formats.summary.summary`).
Layout ``extra`` keys used here:

* ``signature`` — header fields whose values identify the format (for :func:`looks_like`).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, NamedTuple

from kokin.formats.build import build_numbered
from kokin.formats.codec import iter_records as _iter_records
from kokin.formats.engine import Mode, Parsed, run
from kokin.formats.errors import ISSUE_LIMIT, Report
from kokin.formats.framing import EBCDIC_TO_CP932
from kokin.formats.layout import Layout

Source = bytes | str | os.PathLike[str] | BinaryIO


@contextlib.contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """``source`` as a binary stream; one this opened (bytes, a path) is closed afterwards."""
    if isinstance(source, bytes | bytearray | memoryview):
        with io.BytesIO(bytes(source)) as stream:
            yield stream
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


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
    with opened(source) as stream:
        return run(
            layout, stream, mode=mode, collect=True, check_master=check_master, max_issues=max_issues, progress=progress
        )


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
    with opened(source) as stream:
        return run(
            layout, stream, mode=mode, check_master=check_master, max_issues=max_issues, progress=progress
        ).report


def iter_records(source: Source, *, layout: Layout) -> Iterator[dict[str, Any]]:
    """Walk a file record by record as dicts, in constant memory."""
    with opened(source) as stream:
        yield from _iter_records(layout, stream)


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


class Face(NamedTuple):
    """The public functions of one format module, bound to its layout:
    ``parse, validate, iter_records, looks_like = face(LAYOUT)``."""

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


_BUILD_DOC = """Build a file from ``[{{"header": {{...}}, "records": [...]}}]``; trailers are computed.

    Fields that ``layout`` allows one value only ({fixed}),
    code_division (0), file_number (1) and each record's sequence_number (1, 2, … per batch) are
    filled in unless given. A value that does not fit raises
    :class:`~kokin.formats.errors.FormatError` naming the record and the field. {note}
    """


def numbered_build(default: Layout, fixed: str, note: str = "code_division 1 writes EBCDIC.") -> Callable[..., bytes]:
    """A collection kind's ``build``: :func:`kokin.formats.build.build_numbered` bound to ``default``;
    ``fixed`` names the values the layout fixes and ``note`` adds to the docstring."""

    def build(
        batches: Sequence[Mapping[str, Any]],
        *,
        layout: Layout = default,
        separator: str = "crlf",
        eof_mark: bool = False,
    ) -> bytes:
        return build_numbered(batches, layout=layout, separator=separator, eof_mark=eof_mark)

    build.__doc__ = _BUILD_DOC.format(fixed=fixed, note=note)
    return build
