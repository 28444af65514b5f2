"""What the engine's parts share: the file mode, and the base class that adds issues to the report.

Each part of :class:`~kokin.formats.engine.core.Engine` (field checks, totals) derives from
:class:`EnginePart` for ``_issue`` (one issue) and ``_rows_issue`` (the faulty rows of a field, worded
only as far as the report lists them).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from kokin.formats.engine.wording import VALUE_FREE, Words
from kokin.formats.errors import GROUP_RECORDS, FormatIssue, Report
from kokin.formats.layout import Field

Mode = Literal["auto", "request", "result"]
MAX_DETAIL = 100_000  # per field and block: beyond this (or the report's limit), faults are counted, not worded


class EnginePart:
    """The report an engine part writes to, and how it adds issues."""

    report: Report
    #: what the warnings of a (field, code, value) said: each value is worded once per file
    _worded: dict[tuple[str, str, bytes], tuple[str, str]]

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
        listed = self.report.listable(severity, code, len(idx), at_most=MAX_DETAIL)
        for i in idx[:listed]:
            raw = rows[i, f.slice].tobytes()
            ja, en = words(raw)
            self._issue(int(numbers[i]), f, code, ja, en, severity)
            if severity == "warning":
                self._worded[(f.name, code, b"" if words in VALUE_FREE else raw)] = (ja, en)
        if severity == "warning" and len(idx) > listed:
            self._group_counted(idx[listed:], rows, numbers, f, code, words)

    def _group_counted(
        self, idx: np.ndarray, rows: np.ndarray, numbers: np.ndarray, f: Field, code: str, words: Words
    ) -> None:
        """Group the warnings at rows ``idx``, counted but not listed: all in one group when the wording
        ignores the value (:data:`~kokin.formats.engine.wording.VALUE_FREE`), else by the field's value,
        with one sort and one wording per value (not per row). Once the report keeps its most groups, a
        value never worded before stays out of them (counted only): wording a million distinct values
        would cost what listing them does."""
        values = rows[idx, f.slice]
        free = words in VALUE_FREE
        if free or (values == values[0]).all():
            starts, order = np.zeros(1, dtype=np.int64), np.arange(len(idx))
        else:
            keys = np.ascontiguousarray(values).view(np.dtype((np.void, values.shape[1]))).ravel()
            order = np.argsort(keys, kind="stable")  # stable: each value's rows stay in record order
            ordered = keys[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(idx)]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            first = order[start : min(end, start + GROUP_RECORDS)]
            raw = values[first[0]].tobytes()
            key = (f.name, code, b"" if free else raw)
            said = self._worded.get(key)
            if said is None:
                if self.report.groups_full:
                    continue
                said = self._worded[key] = words(raw)
            issue = FormatIssue(int(numbers[idx[first[0]]]), f.name, code, *said, f.start, f.end, "warning")
            self.report.group(issue, end - start, numbers[idx[first]].tolist())
