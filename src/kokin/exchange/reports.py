"""The validation report of a rejected file as CSV (each listed issue: record, field, bytes, reason;
the count of those beyond the check's limit in a last row).

The rejected file itself is not kept. Its report is written to ``KOKIN_HOME/tmp/reports`` (0600) under
a random token that only the uploading session knows, and removed after :data:`KEEP`.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from kokin.exchange import issue_table
from kokin.formats.cells import guard_row
from kokin.formats.errors import FormatIssue
from kokin.formats.layout import Layout

KEEP_SECONDS = 3600
SEVERITY_JA = {"error": "エラー", "warning": "警告"}
HEADER = [
    "重大度",
    "レコード番号",
    "項目",
    "位置 (バイト)",
    "コード",
    "内容",
    "message (English)",
    "項目名",
    "対象 (顧客番号・預金者名など)",
    "直し方",
]


def write_csv(out: BinaryIO, issues: Iterable[FormatIssue], *, more: int = 0, layout: Layout | None = None) -> None:
    """``issues`` as UTF-8 CSV with a BOM (opens in Excel), one a line, with the 項目's Japanese name
    (from ``layout``), the record's 顧客番号・預金者名 (or a collection record's key) and the hint of the
    fix; ``more`` issues counted beyond the check's limit (:data:`kokin.formats.errors.ISSUE_LIMIT`)
    are noted in a last row."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    for issue in issues:
        where = ""
        if issue.start is not None:
            where = f"{issue.start}-{issue.end}" if issue.end != issue.start else str(issue.start)
        writer.writerow(
            guard_row(
                [
                    SEVERITY_JA.get(issue.severity, issue.severity),
                    issue.record,
                    issue.field,
                    where,
                    issue.code,
                    issue.message_ja,
                    issue.message_en,
                    issue_table.label(issue, layout),
                    issue.subject_text,
                    issue_table.hint(issue),
                ]
            )
        )
    if more:
        writer.writerow(
            [
                "",
                "",
                "",
                "",
                "",
                f"ほか {more:,} 件の誤り・警告 (件数のみ数えています)",
                f"and {more:,} more (counted, not listed)",
            ]
        )
    text.flush()
    text.detach()


def _folder() -> Path:
    folder = Path(settings.HOME) / "tmp" / "reports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def save(issues: Iterable[FormatIssue], *, more: int = 0, layout: Layout | None = None) -> str:
    """Write the report and return its token (hex)."""
    sweep()
    token = secrets.token_hex(16)
    fd = os.open(_folder() / f"{token}.csv", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        write_csv(fh, issues, more=more, layout=layout)
    return token


def path_of(token: str) -> Path | None:
    """The report with ``token``, if it is still there."""
    if len(token) != 32 or not all(c in "0123456789abcdef" for c in token):
        return None
    path = _folder() / f"{token}.csv"
    return path if path.exists() else None


def sweep(*, older_than: float = KEEP_SECONDS) -> int:
    """Remove reports older than ``older_than`` seconds; return how many."""
    removed = 0
    limit = time.time() - older_than
    for path in _folder().glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
