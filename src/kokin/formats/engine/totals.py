"""Batches and trailer totals: running sums over the data records, checked when a trailer comes.

The engine's part (a mixin of ``Engine``) that adds each block's data records to the running totals
(per record only when a header or trailer falls inside the block), numbers the batches, keeps the
trailers' totals for the end, and at the end (``finish``) checks what needs the whole file: the last
record's kind, the totals, and whether the file is a request or a result.
"""

from __future__ import annotations

import numpy as np

from kokin.formats.engine import wording
from kokin.formats.engine._common import EnginePart, Mode
from kokin.formats.engine.columns import Columns
from kokin.formats.engine.plan import KindPlan
from kokin.formats.layout import Layout, Total


def _equals(col: np.ndarray, value: str) -> np.ndarray:
    """Rows of a byte column (n × w) equal to ``value``."""
    if col.shape[1] == 1 and len(value) == 1:
        return np.asarray(col[:, 0] == ord(value))
    return np.asarray((col == np.frombuffer(value.encode("ascii"), dtype=np.uint8)).all(axis=1))


class Totals(EnginePart):
    """The engine's batches and totals (set up by ``Engine``)."""

    layout: Layout
    mode: Mode
    collect: bool
    totals: tuple[Total, ...]
    data_kind: KindPlan | None
    header_index: int
    running: np.ndarray
    batch_start: np.ndarray
    batch: int
    result_marks: int
    pending_totals: list[tuple[int, int, int, int, int]]
    columns: dict[str, dict[str, list[np.ndarray]]]
    kept: dict[str, Columns]
    last_kind: int
    last_record: int

    def _contribute(
        self, contributions: np.ndarray, data: dict[str, np.ndarray], where: np.ndarray | None, m: int
    ) -> None:
        """Add the ``m`` data records' share of every total: per record (2-D) or summed (1-D)."""
        hits: dict[tuple[str, str], np.ndarray] = {}
        per_record = contributions.ndim == 2
        for t, total in enumerate(self.totals):
            take = None  # the records this total counts (None: all)
            if total.where is not None:
                fname, op, value = total.where
                hit = hits.get((fname, value))
                if hit is None:
                    hit = hits[(fname, value)] = _equals(data[fname], value)
                take = hit if op == "==" else ~hit
            # a second row per total counts records whose source value could not be read
            bad = data.get(f"{total.source}!bad") if total.source else None
            if not per_record:
                if total.op == "count":
                    contributions[t] += m if take is None else np.count_nonzero(take)
                else:
                    source = data[total.source]  # type: ignore[index]
                    contributions[t] += source.sum() if take is None else source.sum(where=take)
                if bad is not None:
                    contributions[len(self.totals) + t] += bad.sum()
                continue
            v = np.ones(m, dtype=np.int64) if total.op == "count" else data[total.source].copy()  # type: ignore[index]
            if take is not None:
                v[~take] = 0
            if where is None:
                contributions[t] = v
                if bad is not None:
                    contributions[len(self.totals) + t] = bad
            else:
                contributions[t, where] = v
                if bad is not None:
                    contributions[len(self.totals) + t, where] = bad
        marker = self.layout.extra.get("result_marker")
        if marker is not None and marker in data:
            self.result_marks += int(np.count_nonzero(~_equals(data[marker], "0" * data[marker].shape[1])))

    def _batches(
        self,
        kinds: np.ndarray,
        numbers: np.ndarray,
        contributions: np.ndarray | None,
        values: dict[str, dict[str, np.ndarray]],
        marks: np.ndarray,
        is_header: np.ndarray,
    ) -> None:
        header_i = self.header_index
        if not len(marks):
            # no header and no trailer: the usual block, inside one batch
            if contributions is not None:
                self.running = self.running + contributions
            if self.collect and self.data_kind is not None and "data" in values:
                count = np.count_nonzero(kinds == self.data_kind.index)
                self.kept["data"].put("batch", np.full(count, self.batch, dtype=np.int64))
            return
        cum = np.cumsum(contributions, axis=1) if contributions is not None else None
        trailer_row = 0
        header_row = 0
        for i in marks:
            before = self.running + (cum[:, i - 1] if (cum is not None and i > 0) else 0)
            if kinds[i] == header_i:
                self.batch += 1
                self.batch_start = before.copy()
                if self.collect:
                    self.columns["header"].setdefault("batch", []).append(np.array([self.batch]))
                header_row += 1
            else:
                tvals = values["trailer"]
                for t, total in enumerate(self.totals):
                    unread = tvals.get(f"{total.field}!bad")
                    if unread is not None and unread[trailer_row]:
                        continue  # the trailer's own digits are wrong, and that is reported already
                    actual = int(before[t] - self.batch_start[t])
                    expected = int(tvals[total.field][trailer_row])
                    unreadable = int(before[len(self.totals) + t] - self.batch_start[len(self.totals) + t])
                    self.pending_totals.append((int(numbers[i]), t, expected, actual, unreadable))
                if self.collect:
                    self.columns["trailer"].setdefault("batch", []).append(np.array([self.batch]))
                trailer_row += 1
        if cum is not None:
            self.running = self.running + cum[:, -1]
        if self.collect and self.data_kind is not None and "data" in values:
            data_sel = kinds == self.data_kind.index
            headers = np.cumsum(is_header)
            batch_of = self.batch + headers[data_sel] - (headers[-1] if len(kinds) else 0)
            self.kept["data"].put("batch", batch_of)

    # -- the end ---------------------------------------------------------------------------------
    def finish(self) -> str:
        """Check what needs the whole file; return the file's mode (request / result)."""
        kinds = self.layout.kinds
        last = kinds[self.last_kind - 1] if 0 < self.last_kind <= len(kinds) else None
        final = self.layout.extra.get("final_kind", kinds[-1].name)
        if self.last_record and (last is None or last.name != final):
            fk = self.layout.kind(final)
            self._issue(self.last_record, "record_order", "missing_end", *wording.missing_end(fk))
        mode = self.mode
        result_totals = [t for t, total in enumerate(self.totals) if total.mode == "result"]
        if mode == "auto":
            nonzero = any(exp != 0 for (_, t, exp, _, _) in self.pending_totals if t in result_totals)
            mode = "result" if (self.result_marks or nonzero) else "request"
        trailer = self.layout.kind("trailer") if self.totals else None
        for record, t, expected, actual, unreadable in self.pending_totals:
            total = self.totals[t]
            f = trailer.field(total.field)  # type: ignore[union-attr]
            if total.mode == "result" and mode == "request":
                if expected != 0:
                    self._issue(record, f, "request_total", *wording.request_total(f, expected))
            elif expected != actual and unreadable:
                self._issue(
                    record,
                    f,
                    "total_unverified",
                    *wording.total_unverified(f, expected, unreadable),
                    severity="warning",
                )
            elif expected != actual:
                self._issue(record, f, "total", *wording.total_mismatch(f, expected, actual))
        return mode
