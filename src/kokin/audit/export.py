"""The operation log as CSV (for the auditor's spreadsheet): every column, Japanese header, 和暦 dates.

One row per entry, oldest first. The time is local (Asia/Tokyo) with its offset, with the Japanese
era date beside it; the detail is JSON; the MACs are included so the export can be checked against
the hub. Encodings: ``utf-8-sig`` (UTF-8 with BOM, opens in Excel), ``utf-8``, ``cp932`` (Shift_JIS
as Windows writes it). A character cp932 cannot hold is written as a ``\\uXXXX`` escape and counted.

A cell that a spreadsheet would run as a formula (a failed login's ID is typed by anyone) is guarded
as every CSV of kokin is (:mod:`kokin.formats.cells`), and :func:`read_csv` gives back exactly what
was written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.utils import timezone

from kokin.audit.models import AuditEntry
from kokin.formats.cells import guard, unguard
from kokin.formats.dates import wareki_text

ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
HEADER = [
    "連番",
    "日時",
    "日時 (和暦)",
    "操作者",
    "役割",
    "課",
    "接続元IP",
    "証明書指紋",
    "操作",
    "対象",
    "ファイルSHA-256",
    "結果",
    "詳細",
    "直前のMAC",
    "MAC",
]


@dataclass
class Written:
    rows: int = 0
    #: cells with a character the encoding cannot hold (written as ``\\uXXXX``)
    escaped: int = 0


def row(entry: AuditEntry) -> list[str]:
    local = timezone.localtime(entry.at)
    return [
        str(entry.seq),
        local.isoformat(sep=" ", timespec="microseconds"),
        wareki_text(local.date()),
        entry.actor,
        entry.role,
        entry.department,
        entry.client_ip,
        entry.cert_fingerprint,
        entry.action,
        entry.object,
        entry.sha256,
        entry.outcome,
        json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else "",
        entry.prev_mac,
        entry.mac,
    ]


def write_csv(out: IO[bytes], entries: Iterable[AuditEntry], *, encoding: str = "utf-8-sig") -> Written:
    """Write the header and one row per entry to the binary file ``out``."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
    written = Written()
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=False)
    try:
        writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(HEADER)
        for entry in entries:
            cells = [guard(cell) for cell in row(entry)]
            if encoding == "cp932":
                for i, cell in enumerate(cells):
                    try:
                        cell.encode("cp932")
                    except UnicodeEncodeError:
                        cells[i] = cell.encode("cp932", "backslashreplace").decode("cp932")
                        written.escaped += 1
            writer.writerow(cells)
            written.rows += 1
        text.flush()
    finally:
        text.detach()
    return written


def read_csv(data: bytes, *, encoding: str = "utf-8-sig") -> Iterator[dict[str, str]]:
    """The rows of an export, by Japanese column name, as they were before the formula guard."""
    reader = csv.reader(io.StringIO(data.decode(encoding), newline=""))
    header = next(reader)
    if header != HEADER:
        raise ValueError("not an operation-log export (the header differs)")
    for cells in reader:
        yield dict(zip(HEADER, (unguard(c) for c in cells), strict=True))
