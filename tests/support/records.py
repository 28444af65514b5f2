"""Shared material for the format tests: a valid Zengin debit file and tools to break it byte by byte.

``HEADER`` and ``payer`` are the debit header and payer of :mod:`kokin.formats.examples`.

Test modules import these helpers (``from support.records import ...``); the fixtures that write
files and profiles into ``tmp_path`` stay in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kokin.formats.errors import FormatIssue, Report
from kokin.formats.examples import DEBIT_HEADER as HEADER
from kokin.formats.examples import payer
from kokin.formats.kinds import zengin_debit

RECORD_LENGTH = 120
CRLF = b"\r\n"


def batch(n: int = 3, *, header: Mapping[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    return {"header": dict(header or HEADER), "records": [payer(i, **changes) for i in range(n)]}


def request_file(n: int = 3, **options: Any) -> bytes:
    """A valid one-batch request file with ``n`` data records (record 1 header, n + 2 trailer, n + 3 end)."""
    return zengin_debit.build([batch(n)], **options)


def split(raw: bytes, separator: bytes = CRLF) -> list[bytes]:
    """The records of a well-formed file (CR LF or no separator, EOF mark dropped)."""
    raw = raw.removesuffix(b"\x1a")
    if separator:
        parts = raw.split(separator)
        assert parts[-1] == b""
        return parts[:-1]
    assert len(raw) % RECORD_LENGTH == 0
    return [raw[i : i + RECORD_LENGTH] for i in range(0, len(raw), RECORD_LENGTH)]


def join(records: Iterable[bytes], separator: bytes = CRLF) -> bytes:
    return b"".join(r + separator for r in records)


def put(record: bytes, position: int, value: bytes | str) -> bytes:
    """``record`` with ``value`` written at the 1-based byte ``position`` (same length)."""
    data = value.encode("cp932") if isinstance(value, str) else value
    start = position - 1
    assert start + len(data) <= len(record)
    return record[:start] + data + record[start + len(data) :]


def mutate(raw: bytes, record: int, position: int, value: bytes | str) -> bytes:
    """A CR LF file with ``value`` written into record number ``record`` (1-based) at ``position``."""
    records = split(raw)
    records[record - 1] = put(records[record - 1], position, value)
    return join(records)


def where(report: Report | Sequence[FormatIssue]) -> list[tuple[int | None, str]]:
    """(record, field) of every error, in file order."""
    issues = report.errors if isinstance(report, Report) else report
    return sorted(((i.record, i.field) for i in issues), key=lambda x: (x[0] or 0, x[1]))


def only_error(report: Report) -> FormatIssue:
    assert len(report.errors) == 1, [str(i) for i in report.errors]
    return report.errors[0]


def plain(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Decoded rows without the bookkeeping keys, for comparing with build input."""
    return [{k: v for k, v in row.items() if k not in ("record_number", "data_kind")} for row in rows]
