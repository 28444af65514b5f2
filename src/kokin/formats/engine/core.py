"""The engine proper: one block at a time, the record order and each record kind's checks.

:class:`Engine` sets up the per-layout tables (kinds, order, plans, column buffers) and runs
``feed`` for every block: the quick byte test (:mod:`~kokin.formats.engine.quick`), the order of
record kinds, each kind's checks (:meth:`Engine._check_kind`, with the field checks of
:mod:`~kokin.formats.engine.checks`) and the running totals (:mod:`~kokin.formats.engine.totals`).
The parts are mixins of one class, so the hot loops call them as methods, as before the split.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from kokin.formats.charset import byte_table
from kokin.formats.engine import wording
from kokin.formats.engine._common import MAX_DETAIL, Mode
from kokin.formats.engine.checks import FieldChecks
from kokin.formats.engine.columns import Columns, Tables, full_records
from kokin.formats.engine.digits import digits_to_int
from kokin.formats.engine.plan import KindPlan
from kokin.formats.engine.quick import CLASSES, QuickTest
from kokin.formats.engine.totals import Totals
from kokin.formats.errors import Report
from kokin.formats.framing import Block
from kokin.formats.layout import Field, Layout


class Engine(QuickTest, FieldChecks, Totals, Tables):
    """Validate (and optionally decode) a stream of blocks against ``layout``."""

    def __init__(
        self,
        layout: Layout,
        report: Report,
        *,
        mode: Mode = "auto",
        collect: bool = False,
        check_master: bool = True,
        expected_records: int | None = None,
    ) -> None:
        self.layout = layout
        self.report = report
        self._worded = {}
        self.mode = mode
        self.collect = collect
        self.check_master = check_master
        self.charset_ok = byte_table(layout.charset)
        #: for ``bytes.translate(None, delete)``: what is left of a C field are the bytes outside the set
        self.charset_bytes = bytes(np.flatnonzero(self.charset_ok).tolist())
        self.classes = CLASSES.copy()
        self.classes[self.charset_ok] |= 2
        # (plan index, stride) → low and span repeated over one slice of a block; scratch for the quick test
        self._tiles: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._diff = np.empty(0, dtype=np.uint8)
        self._outside = np.empty(0, dtype=np.bool_)
        self._range_tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._pairs = np.empty(0, dtype=np.uint8)
        self.today = dt.date.today()  # once per file, not once per block and field
        self.kpos = layout.kind_position - 1
        k = len(layout.kinds)
        self.kind_index = np.full(256, k + 1, dtype=np.int64)  # k + 1: unknown kind
        for i, kind in enumerate(layout.kinds):
            self.kind_index[ord(kind.code)] = i + 1  # 0: start of file
        # follows[prev, cur]: may cur follow prev? unknown kinds are never blamed twice
        self.follows = np.zeros((k + 2, k + 2), dtype=np.bool_)
        names = {kind.name: i + 1 for i, kind in enumerate(layout.kinds)}
        for cur, prevs in layout.follows.items():
            for prev in prevs:
                self.follows[names[prev] if prev else 0, names[cur]] = True
        self.follows[k + 1, :] = True
        self.follows[:, k + 1] = True
        self.last_kind = 0
        self.plans = [
            KindPlan.of(kind, i + 1, layout.record_length, layout.kind_position) for i, kind in enumerate(layout.kinds)
        ]
        self.data_kind = next((p for p in self.plans if p.kind.name == "data"), None)
        kind_names = [kind.name for kind in layout.kinds]
        self.header_index = kind_names.index("header") + 1 if "header" in kind_names else -1
        self.trailer_index = kind_names.index("trailer") + 1 if "trailer" in kind_names else -1
        self.totals = layout.totals
        self.running = np.zeros(2 * len(self.totals), dtype=np.int64)
        self.batch_start = np.zeros(2 * len(self.totals), dtype=np.int64)
        self.batch = 0
        self.result_marks = 0  # data records whose result field says this is a result file
        # (record, total index, expected, actual, records whose value could not be read)
        self.pending_totals: list[tuple[int, int, int, int, int]] = []
        self.columns: dict[str, dict[str, list[np.ndarray]]] = {p.kind.name: {} for p in self.plans}
        # the data records' columns are sized for the whole file up front (untouched pages cost nothing)
        self.kept = {
            p.kind.name: Columns(
                p.kept,
                [f.name for f in p.numeric] + ["record_number"] + (["batch"] if p is self.data_kind else []),
                (expected_records or 4096) if p is self.data_kind else 64,
            )
            for p in self.plans
        }
        self.last_record = 0
        self.ebcdic: bool | None = None

    def feed(self, block: Block, scanned: tuple[np.ndarray, np.ndarray | None] | None = None) -> None:
        rows, numbers = block.rows, block.numbers
        self.last_record = int(numbers[-1])
        kinds, flagged = scanned if scanned is not None else self.scan(block)
        self._check_order(rows, kinds, numbers)
        is_header = kinds == self.header_index
        marks = np.flatnonzero(is_header | (kinds == self.trailer_index))
        # per-record contributions only when a header or trailer needs running totals inside the block;
        # otherwise the block's sums are enough
        per_record = len(marks) > 0
        contributions = None
        if self.totals:
            shape = (2 * len(self.totals), len(rows)) if per_record else (2 * len(self.totals),)
            contributions = np.zeros(shape, dtype=np.int64)
        values: dict[str, dict[str, np.ndarray]] = {}
        for plan in self.plans:
            sel = kinds == plan.index
            if not sel.any():
                continue
            if sel.all():
                sub, nums, where, full = rows, numbers, None, full_records(block)
                plan_flagged = flagged
            else:
                where = np.flatnonzero(sel)
                sub, nums = rows[where], numbers[where]
                full = sub  # a fancy-indexed copy: contiguous already
                plan_flagged = None
            values[plan.kind.name] = self._check_kind(plan, sub, nums, full, plan_flagged)
            if plan is self.data_kind and contributions is not None:
                self._contribute(contributions, values["data"], where, len(nums))
        self._batches(kinds, numbers, contributions, values, marks, is_header)

    def _check_order(self, rows: np.ndarray, kinds: np.ndarray, numbers: np.ndarray) -> None:
        unknown = kinds == len(self.layout.kinds) + 1
        if unknown.any():
            kf = Field("data_kind", self.kpos + 1, 1, "N", "データ区分")
            self._rows_issue(unknown, rows, numbers, kf, "allowed", wording.unknown_kind(self.layout.kinds))
        prev = np.empty_like(kinds)
        prev[0] = self.last_kind
        prev[1:] = kinds[:-1]
        bad = np.flatnonzero(~self.follows[prev, kinds])
        for i in bad[: self.report.listable("error", "order", len(bad), at_most=MAX_DETAIL)]:
            cur = self.layout.kinds[kinds[i] - 1]
            before = self.layout.kinds[prev[i] - 1] if prev[i] else None
            ja, en = wording.out_of_order(cur, before, self.layout.kinds[0])
            self._issue(int(numbers[i]), "record_order", "order", ja, en)
        self.last_kind = int(kinds[-1])

    def _check_kind(
        self,
        plan: KindPlan,
        sub: np.ndarray,
        nums: np.ndarray,
        full: np.ndarray,
        flagged: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Check one kind's records; return the values later checks need (amounts, codes).

        One quick pass over the block finds the records where a plain field (digits, Zengin
        characters, blank dummies) is wrong; only those records are examined field by field.
        Fields with allowed values, dates, lookups or blanks allowed are checked column by column.
        ``full`` is ``sub`` with its separators (see :meth:`_flag`).

        Kept whole (a little over 80 lines): it is the per-block hot path, and its steps share the
        block's arrays and the numbers decoded once (``number``) through one closure; split, each
        part would take half a dozen arrays and the cache of decoded fields.
        """
        values: dict[str, np.ndarray] = {}
        if flagged is None:
            flagged = self._flag(plan, sub, full)
        kept = self.kept[plan.kind.name] if self.collect else None
        if kept is not None:
            kept.add(full)  # copied now, while the block is in cache: the reader reuses its buffers
        wide_ok = self._wide_ok(plan, full, kept)
        clean = not len(flagged)  # every scanned field has the right bytes: N fields are digits
        ints: dict[int, np.ndarray] = {}

        def number(f: Field) -> np.ndarray:
            """A field's digits as int64 (garbage where they are not digits), computed once per block."""
            v = ints.get(f.start)
            if v is None:
                known = clean and f.type == "N" and f.name in plan.scanned_names
                v = ints[f.start] = digits_to_int(sub[:, f.slice], digits_only=known)
            return v

        faulty: dict[str, np.ndarray] = {}
        if len(flagged):
            fsub, fnums = sub[flagged], nums[flagged]
            self._newlines_inside(fsub, fnums)
            for f in plan.scanned:
                bad = self._field_faults(f, fsub[:, f.slice], fsub, fnums)
                if bad is not None and bad.any():
                    faulty[f.name] = flagged[bad]
        ranged: list[tuple[Field, np.ndarray]] = []
        for f in plan.special:
            col = sub[:, f.slice]
            if f.name == self.layout.extra.get("encoding_field") and self.ebcdic is not None:
                self._check_encoding_flag(f, col, sub, nums)
            if f.name in plan.scanned_names:
                ok = np.ones(len(sub), dtype=np.bool_)
                if f.name in faulty:
                    ok[faulty[f.name]] = False
            elif f.type == "K" and not f.dummy and wide_ok:
                ok = np.ones(len(sub), dtype=np.bool_)
            else:
                bad = self._field_faults(f, col, sub, nums)
                ok = ~bad if bad is not None else np.ones(len(sub), dtype=np.bool_)
            if f.allowed is not None:
                self._check_allowed(f, col, ok, sub, nums, number)
            if f.date:
                self._check_date(f, col, ok, sub, nums, number)
            if f.lookup and self.check_master:
                self._check_lookup(f, ok, sub, nums, values, number)
            if f.ranges is not None:
                ranged.append((f, ok))
            if f.type == "N" and f.name not in faulty and not ok.all():
                faulty[f.name] = np.flatnonzero(~ok)
            if not f.numeric:
                values[f.name] = col
        for f, ok in ranged:
            self._check_range(f, plan.kind, ok, sub, nums, values, number)
        for f in plan.numeric:
            v = number(f)
            if f.name in faulty:
                v = v.copy()
                v[faulty[f.name]] = 0
                bad = np.zeros(len(v), dtype=np.int64)
                bad[faulty[f.name]] = 1
                values[f"{f.name}!bad"] = bad
            values[f.name] = v
        if kept is not None:
            for f in plan.numeric:
                kept.put(f.name, values[f.name])
            kept.put("record_number", nums)
        return values
