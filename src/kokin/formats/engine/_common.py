"""What the engine's parts share: the file mode, and the base class that adds issues to the report.

Each part of :class:`~kokin.formats.engine.core.Engine` (field checks, totals) derives from
:class:`EnginePart` for ``_issue`` (one issue) and ``_rows_issue`` (the faulty rows of a field, worded
only as far as the report lists them).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from kokin.formats.engine.wording import Words
from kokin.formats.errors import FormatIssue, Report
from kokin.formats.layout import Field

Mode = Literal["auto", "request", "result"]
MAX_DETAIL = 100_000  # per field and block: beyond this (or the report's limit), faults are counted, not worded


class EnginePart:
    """The report an engine part writes to, and how it adds issues."""

    report: Report

    def _issue(
        self,
        record: int | None,
        f: Field | str,
        code: str,
        ja: str,
        en: str,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        if isinstance(f, Field):
            self.report.add(FormatIssue(record, f.name, code, ja, en, f.start, f.end, severity))
        else:
            self.report.add(FormatIssue(record, f, code, ja, en, severity=severity))

    def _rows_issue(
        self,
        bad: np.ndarray,
        rows: np.ndarray,
        numbers: np.ndarray,
        f: Field,
        code: str,
        words: Words,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        idx = np.flatnonzero(bad)
        for i in idx[: self.report.listable(severity, code, len(idx), at_most=MAX_DETAIL)]:
            raw = rows[i, f.slice].tobytes()
            ja, en = words(raw)
            self._issue(int(numbers[i]), f, code, ja, en, severity)
