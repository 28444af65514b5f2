"""The layout engine: validate and decode fixed-width records block by block, with numpy.

Every check of a :class:`~kokin.formats.layout.Layout` runs as array operations over a block of
records (k × record_length bytes): digits in N fields, allowed values, the character set of C fields,
dates, master lookups, record order and trailer totals. Python only touches the records that are
wrong, to word their messages. Blocks come from :class:`~kokin.formats.framing.RecordReader`, so a
file of any size is checked in constant memory; with ``collect=True`` the decoded fields are kept as
columns and returned as Arrow tables.

The package: :func:`run` and :class:`Parsed` here; the engine itself in ``core`` (blocks, record
order, a kind's checks), with its parts ``quick`` (the quick byte test), ``checks`` (field checks),
``totals`` (batches and trailer totals), ``columns`` (column buffers and raw tables); ``plan`` (a
record kind's check plan), ``digits`` (SWAR digits), ``wording`` (every message), ``decode``
(Arrow strings).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from kokin.formats.engine._common import Mode
from kokin.formats.engine.core import Engine
from kokin.formats.engine.decode import decode_table
from kokin.formats.engine.digits import digits_to_int
from kokin.formats.engine.subjects import name_records
from kokin.formats.errors import ISSUE_LIMIT, Report
from kokin.formats.framing import Block, RecordReader
from kokin.formats.layout import Layout

if TYPE_CHECKING:
    # pyarrow (~40 MiB) is imported by the functions that make Arrow data: validating a file needs none
    import pyarrow as pa

__all__ = ["Engine", "Mode", "Parsed", "digits_to_int", "run"]


@dataclass
class Parsed:
    """A decoded file: Arrow tables per record kind, plus the validation report.

    ``columns`` holds what validation decoded: numbers as int64 and every other field as its
    fixed-width bytes (``binary(w)``, cp932). ``tables`` turns those bytes into strings (identifiers
    with their zeros, text without trailing spaces) the first time it is asked for.
    """

    layout: Layout
    report: Report
    columns: dict[str, pa.Table]
    mode: str
    convention: str
    ebcdic: bool
    records: int

    @functools.cached_property
    def tables(self) -> dict[str, pa.Table]:
        return {kind: decode_table(self.layout.kind(kind), table) for kind, table in self.columns.items()}

    def batches(self) -> list[dict[str, object]]:
        """The file as ``[{"header": {...}, "records": [...], "trailer": {...}}]`` (JSON-ready)."""
        head = self.tables.get("header")
        data = self.tables.get("data")
        trail = self.tables.get("trailer")
        out: list[dict[str, object]] = []
        headers = head.to_pylist() if head is not None else []
        datas = data.to_pylist() if data is not None else []
        trailers = trail.to_pylist() if trail is not None else []
        di = ti = 0
        for h in headers:
            batch = h.pop("batch")
            records = []
            while di < len(datas) and datas[di]["batch"] == batch:
                r = datas[di]
                del r["batch"]
                records.append(r)
                di += 1
            trailer = None
            if ti < len(trailers) and trailers[ti]["batch"] == batch:
                trailer = trailers[ti]
                del trailer["batch"]
                ti += 1
            out.append({"header": h, "records": records, "trailer": trailer})
        return out


def _remaining(stream: BinaryIO) -> int | None:
    """Bytes left in ``stream`` if it can tell (a file, BytesIO), to size the columns once."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except (OSError, ValueError, AttributeError):
        return None
    return max(end - here, 0)


def run(
    layout: Layout,
    stream: BinaryIO,
    *,
    mode: Mode = "auto",
    collect: bool = False,
    check_master: bool = True,
    ebcdic: bool | None = None,
    max_issues: int | None = ISSUE_LIMIT,
    block_records: int = 16384,
    progress: Any = None,
    on_block: Callable[[Block], None] | None = None,
) -> Parsed:
    """Validate (and with ``collect`` decode) one file; the workhorse behind every format module.

    ``on_block`` sees every block after the engine (a summary built in the same read); the block's
    buffers are reused for the next one. The report lists ``max_issues`` errors and as many warnings
    (None: all) and counts the rest."""
    report = Report(max_issues=max_issues)
    if ebcdic is None and "ebcdic" in layout.extra:
        ebcdic = bool(layout.extra["ebcdic"])
    first_kind = layout.kinds[0].code.encode("ascii")
    reader = RecordReader(
        stream,
        layout.record_length,
        report,
        separators=layout.separators,
        block_records=block_records,
        ebcdic=ebcdic,
        first_kind=first_kind,
    )
    size = _remaining(stream) if collect else None
    engine = Engine(
        layout,
        report,
        mode=mode,
        collect=collect,
        check_master=check_master,
        expected_records=size // layout.record_length + 1 if size is not None else None,
    )
    for block in reader.blocks():
        engine.ebcdic = reader.ebcdic
        listed = (len(report.errors), len(report.warnings))
        engine.feed(block)
        if len(report.errors) + len(report.warnings) > sum(listed):
            name_records(report, listed, block, layout)
        if on_block is not None:
            on_block(block)
        if progress is not None:
            progress.update(reader.bytes_read)
    engine.last_record = max(engine.last_record, reader.records)
    file_mode = engine.finish() if reader.records else mode
    ebcdic_flag = bool(reader.ebcdic)
    return Parsed(
        layout,
        report,
        engine.raw_tables() if collect else {},
        str(file_mode),
        reader.convention,
        ebcdic_flag,
        reader.records,
    )
