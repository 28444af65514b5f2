"""The layout engine: validate and decode fixed-width records block by block, with numpy.

Every check of a :class:`~kokin.formats.layout.Layout` runs as array operations over a block of
records (k × record_length bytes): digits in N fields, allowed values, the character set of C fields,
dates, master lookups, record order and trailer totals. Python only touches the records that are
wrong, to word their messages. Blocks come from :class:`~kokin.formats.framing.RecordReader`, so a
file of any size is checked in constant memory; with ``collect=True`` the decoded fields are kept as
columns and returned as Arrow tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

import numpy as np

from kokin.formats import dates, kanji
from kokin.formats.bankmaster import master
from kokin.formats.charset import byte_table, describe_byte, in_english
from kokin.formats.errors import ISSUE_LIMIT, FormatIssue, Report
from kokin.formats.framing import Block, RecordReader
from kokin.formats.layout import Field, Layout, RecordKind

if TYPE_CHECKING:
    # pyarrow (~40 MiB) is imported by the functions that make Arrow data: validating a file needs none
    import pyarrow as pa

Mode = Literal["auto", "request", "result"]
Words = Callable[[bytes], tuple[str, str]]  # a faulty field's bytes → (Japanese, English) message
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_MAX_DETAIL = 100_000  # per field and block: beyond this (or the report's limit), faults are counted, not worded


# SWAR ("SIMD within a register", after D. Lemire's 8-digit parse): up to 8 ASCII digits, right-aligned
# in one little-endian word with zeros in front, become their value in log2(width) steps; each step
# joins neighbouring groups of digits: (word & mask) × multiplier >> shift. One ufunc call handles every
# record of a block at once, and the words wrap modulo their width as the arithmetic expects.
_SWAR: dict[int, tuple[np.dtype[Any], tuple[tuple[int, int, int], ...]]] = {
    2: (np.dtype("<u2"), ((0x0F0F, 0x0A01, 8),)),
    4: (np.dtype("<u4"), ((0x0F0F0F0F, 0x0A01, 8), (0x00FF00FF, 0x640001, 16))),
    8: (
        np.dtype("<u8"),
        ((0x0F0F0F0F0F0F0F0F, 0x0A01, 8), (0x00FF00FF00FF00FF, 0x640001, 16), (0x0000FFFF0000FFFF, 0x271000000001, 32)),
    ),
}


def _digits_by_place(col: np.ndarray) -> np.ndarray:
    """Σ (byte − 48) × 10^place: the value of digit rows, and the reference "garbage" of the others."""
    w = col.shape[1]
    out = np.zeros(col.shape[0], dtype=np.int64)
    for j in range(w):
        out *= 10
        out += col[:, j]
    out -= 48 * int("1" * w) if w else 0
    return out


def digits_to_int(col: np.ndarray, *, digits_only: bool = False) -> np.ndarray:
    """Zero-filled ASCII digits (n × w uint8) → int64; garbage in non-digit rows (check first).

    The garbage is always Σ (byte − 48) × 10^place, whichever way the digits are read: some checks
    see it (a 期別 range keyed by a code that is no number), so it must not depend on the method.
    ``digits_only`` says the caller knows every byte is a digit, so no row needs that fix-up.
    """
    n, w = col.shape
    if w > 16 or (w and col.strides[1] != 1):
        return _digits_by_place(col)
    if w == 0:
        return np.zeros(n, dtype=np.int64)
    # right-aligned in 2, 4, 8 or 16 bytes; 16 is two 8-digit words, joined at the end
    size = 2 if w <= 2 else 4 if w <= 4 else 8 if w <= 8 else 16
    word, steps = _SWAR[min(size, 8)]
    uint = word.type
    words = np.zeros((n, size), dtype=np.uint8)
    words[:, size - w :].view(f"V{w}")[:, 0] = col.view(f"V{w}")[:, 0]  # one element per row: a fast copy
    x = words.view(word)  # n × 1 (or 2) words; the first digit of a word is its low byte
    nondigit = None
    if not digits_only:
        # a byte outside 0x30-0x39 sets its high bit in x, x + 0x46.. or x - 0x30..; with digits only,
        # nothing carries or borrows between bytes. The zeros in front are made to look like '0' first.
        front = np.frombuffer(np.where(np.arange(size) < size - w, 0x30, 0).astype(np.uint8).tobytes(), dtype=word)
        y = x + front
        nondigit = y | (y + uint(int("46" * min(size, 8), 16)))
        y -= uint(int("30" * min(size, 8), 16))
        nondigit |= y
        nondigit &= uint(int("80" * min(size, 8), 16))
    for mask, multiplier, shift in steps:
        x &= uint(mask)
        x *= uint(multiplier)
        x >>= uint(shift)
    value: np.ndarray = x[:, 0].astype(np.int64)
    if size == 16:
        value *= 100_000_000
        value += x[:, 1].view(np.int64)  # below 10^8: the same bits
    if nondigit is not None and nondigit.any():
        wrong = np.flatnonzero(nondigit.any(axis=1) if size == 16 else nondigit[:, 0])
        value[wrong] = _digits_by_place(col[wrong])
    return value


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


# byte classes for the exact scan of suspect blocks: 1 digit, 2 Zengin character (set per layout), 4 space,
# 128 any byte
_CLASSES = np.full(256, 128, dtype=np.uint8)
_CLASSES[48:58] |= 1
_CLASSES[32] |= 4


@dataclass
class _KindPlan:
    kind: RecordKind
    index: int
    need: np.ndarray
    #: byte b at a position passes the quick test when (b - low) mod 256 <= span: digits 48 + 0..9, a
    #: dummy's space 32 + 0, anything else 0 + 0..255 (C fields are tested on their own, see ``texts``)
    low: np.ndarray
    span: np.ndarray
    plain: list[Field] = field(default_factory=list)
    special: list[Field] = field(default_factory=list)
    #: fields whose digits / characters the one-pass scan checks (plain ones and most special ones)
    scanned: list[Field] = field(default_factory=list)
    numeric: list[Field] = field(default_factory=list)
    scanned_names: set[str] = field(default_factory=set)
    #: scanned C fields: the character set is no byte range, so they get a table of their own
    texts: list[Field] = field(default_factory=list)
    #: full-width fields, checked by byte pair (all of them at once first, see ``Engine._wide_ok``)
    wides: list[Field] = field(default_factory=list)
    #: what ``parse`` keeps as fixed-width bytes (every field but dummies and numbers)
    kept: list[Field] = field(default_factory=list)

    @classmethod
    def of(cls, kind: RecordKind, index: int, record_length: int, kind_position: int) -> _KindPlan:
        plan = cls(
            kind,
            index,
            np.full(record_length, 128, dtype=np.uint8),
            np.zeros(record_length, dtype=np.uint8),
            np.full(record_length, 255, dtype=np.uint8),
        )
        keys = {f.range_key for f in kind.fields if f.range_key}
        plan.kept = [f for f in kind.fields if not f.dummy and not f.numeric]
        plan.wides = [f for f in kind.fields if f.type == "K" and not f.dummy]
        for f in kind.fields:
            if f.start == kind_position and f.length == 1:
                continue  # the data_kind byte chose this kind
            if f.numeric:
                plan.numeric.append(f)
            special = f.allowed or f.date or f.lookup or f.blank_ok or f.ranges or f.name in keys or f.type == "K"
            (plan.special if special else plan.plain).append(f)
            if f.type == "K" or f.blank_ok:
                continue  # checked column by column
            plan.scanned.append(f)
            plan.scanned_names.add(f.name)
            plan.need[f.slice] = 4 if f.dummy else (1 if f.type == "N" else 2)
            if f.dummy:
                plan.low[f.slice], plan.span[f.slice] = 32, 0
            elif f.type == "N":
                plan.low[f.slice], plan.span[f.slice] = 48, 9
            else:
                plan.texts.append(f)
        return plan


def _field_view(full: np.ndarray, f: Field) -> np.ndarray:
    """One element (``V{length}``) per record of ``full`` (k × stride, C-contiguous): a strided view, no copy.

    Copying it moves one whole field per record: about twice as fast as the k × length uint8 slice.
    """
    return np.ndarray((len(full),), dtype=f"V{f.length}", buffer=full, offset=f.start - 1, strides=(full.shape[1],))


class _Columns:
    """One record kind's columns, copied out block by block while the block is in cache.

    Each fixed-width field is one growing byte buffer and each number (``numbers``: numeric fields,
    record numbers, batches) one growing int64 buffer, so the Arrow column is made of it without a
    further copy.
    """

    def __init__(self, fields: list[Field], numbers: list[str], capacity: int) -> None:
        self.fields = fields
        self.count = 0
        self.capacity = 0
        self.data: dict[str, np.ndarray] = {}
        self.numbers: dict[str, np.ndarray] = dict.fromkeys(numbers, np.empty(0, dtype=np.int64))
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        """One allocation for all byte fields and one for all numbers: numpy asks the kernel for huge
        pages for large arrays, so writing the columns takes far fewer page faults than per field."""
        data = np.empty(capacity * sum(f.length for f in self.fields), dtype=np.uint8)
        numbers = np.empty((len(self.numbers), capacity), dtype=np.int64)
        at = 0
        for f in self.fields:
            part = data[at * capacity : (at + f.length) * capacity]
            if self.count:
                part[: self.count * f.length] = self.data[f.name][: self.count * f.length]
            self.data[f.name] = part
            at += f.length
        for row, (name, old) in zip(numbers, self.numbers.items(), strict=True):
            if self.count:
                row[: self.count] = old[: self.count]
            self.numbers[name] = row
        self.capacity = capacity

    def add(self, full: np.ndarray) -> None:
        m = len(full)
        if self.count + m > self.capacity:
            self._allocate(max(2 * self.capacity, self.count + m))
        for f in self.fields:
            dest = self.data[f.name][self.count * f.length : (self.count + m) * f.length]
            dest.view(f"V{f.length}")[...] = _field_view(full, f)
        self.count += m

    def recent(self, f: Field, m: int) -> np.ndarray:
        """The bytes of ``f`` in the last ``m`` records added, contiguous."""
        return self.data[f.name][(self.count - m) * f.length : self.count * f.length]

    def put(self, name: str, values: np.ndarray) -> None:
        """Numbers for the last ``len(values)`` records added."""
        self.numbers[name][self.count - len(values) : self.count] = values

    def column(self, f: Field) -> np.ndarray:
        return self._trim(self.data[f.name][: self.count * f.length])

    def number_column(self, name: str) -> np.ndarray:
        return self._trim(self.numbers[name][: self.count])

    def _trim(self, data: np.ndarray) -> np.ndarray:
        # a generous size guess (see run) leaves untouched pages behind: only keep what a small kind used
        return data.copy() if self.capacity > 2 * self.count + 1024 else data


class Engine:
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
        self.mode = mode
        self.collect = collect
        self.check_master = check_master
        self.charset_ok = byte_table(layout.charset)
        #: for ``bytes.translate(None, delete)``: what is left of a C field are the bytes outside the set
        self.charset_bytes = bytes(np.flatnonzero(self.charset_ok).tolist())
        self.classes = _CLASSES.copy()
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
            _KindPlan.of(kind, i + 1, layout.record_length, layout.kind_position) for i, kind in enumerate(layout.kinds)
        ]
        self.data_kind = next((p for p in self.plans if p.kind.name == "data"), None)
        kind_names = [kind.name for kind in layout.kinds]
        self.header_index = kind_names.index("header") + 1 if "header" in kind_names else -1
        self.trailer_index = kind_names.index("trailer") + 1 if "trailer" in kind_names else -1
        self.totals = layout.totals
        self.running = np.zeros(2 * len(self.totals), dtype=np.int64)
        self.batch_start = np.zeros(2 * len(self.totals), dtype=np.int64)
        self.batch = 0
        self.in_batch = False
        self.result_marks = 0  # data records whose result field says this is a result file
        # (record, total index, expected, actual, records whose value could not be read)
        self.pending_totals: list[tuple[int, int, int, int, int]] = []
        self.columns: dict[str, dict[str, list[np.ndarray]]] = {p.kind.name: {} for p in self.plans}
        # the data records' columns are sized for the whole file up front (untouched pages cost nothing)
        self.kept = {
            p.kind.name: _Columns(
                p.kept,
                [f.name for f in p.numeric] + ["record_number"] + (["batch"] if p is self.data_kind else []),
                (expected_records or 4096) if p is self.data_kind else 64,
            )
            for p in self.plans
        }
        self.last_record = 0
        self.ebcdic: bool | None = None

    # -- issues --------------------------------------------------------------------------------
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
        for i in idx[: self.report.listable(severity, code, len(idx), at_most=_MAX_DETAIL)]:
            raw = rows[i, f.slice].tobytes()
            ja, en = words(raw)
            self._issue(int(numbers[i]), f, code, ja, en, severity)

    # -- blocks --------------------------------------------------------------------------------
    def scan(self, block: Block) -> tuple[np.ndarray, np.ndarray | None]:
        """The stateless part of a block's check (numpy only).

        Returns each record's kind and, when the block is of one kind only (the usual case), the
        rows where a plain field is wrong.
        """
        kinds = self.kind_index[block.rows[:, self.kpos]]
        first = int(kinds[0])
        if 0 < first <= len(self.plans) and bool((kinds == first).all()):
            return kinds, self._flag(self.plans[first - 1], block.rows, _full(block))
        return kinds, None

    def _flag(self, plan: _KindPlan, sub: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Rows of ``sub`` where a plain field breaks its byte class.

        ``full`` holds the same records with their separators, C-contiguous. The quick test clears
        almost every block; only a block it cannot clear gets the exact per-byte table lookup.
        """
        if self._plain_ok(plan, full):
            return np.empty(0, dtype=np.int64)
        cls = np.take(self.classes, sub)
        np.bitwise_and(cls, plan.need, out=cls)
        if cls.min() != 0:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero((cls == 0).any(axis=1))

    def _plain_ok(self, plan: _KindPlan, full: np.ndarray) -> bool:
        """True when no plain field of ``full`` breaks its byte class (False: look closer).

        A table lookup per byte (``np.take``) is a gather, about 0.8 ns a byte; a subtraction and a
        comparison over the flat block run at SIMD speed, some twenty times faster. The character
        set of C fields is no range: each C field is copied out whole and ``bytes.translate`` deletes
        the allowed bytes; anything left over is a fault. The block goes through in slices of about
        64 KB, so the scratch arrays and the repeated low/span stay in cache: the pass is bound by
        memory bandwidth otherwise.
        """
        m, stride = full.shape
        step = max(1, _QUICK_BYTES // stride)
        low, span = self._tile(plan, stride, step)
        flat = full.reshape(m * stride)
        for start in range(0, m, step):
            size = (min(start + step, m) - start) * stride
            diff, outside = self._diff[:size], self._outside[:size]
            np.subtract(flat[start * stride : start * stride + size], low[:size], out=diff)
            np.greater(diff, span[:size], out=outside)
            if outside.any():
                return False
        return not any(_field_view(full, f).tobytes().translate(None, self.charset_bytes) for f in plan.texts)

    def _wide_ok(self, plan: _KindPlan, full: np.ndarray, kept: _Columns | None = None) -> bool:
        """True when every full-width field of every record is whole JIS X 0208 characters (False: look closer).

        All of a kind's K fields go into one scratch buffer and one table lookup by byte pair, instead
        of a lookup and a row reduction per field. Arrow's take reads the uint16 pairs as they are;
        numpy's would first widen every index to int64, which costs more than the lookup.
        """
        if not plan.wides:
            return True
        m = len(full)
        if kept is not None:
            # parse copied the fields out already: look them up where they are
            return all(_pairs_ok(kept.recent(f, m)) for f in plan.wides)
        width = sum(f.length for f in plan.wides)
        if len(self._pairs) < m * width:
            self._pairs = np.empty(m * width, dtype=np.uint8)
        scratch = self._pairs[: m * width].reshape(m, width)
        at = 0
        for f in plan.wides:
            scratch[:, at : at + f.length].view(f"V{f.length}")[:, 0] = _field_view(full, f)
            at += f.length
        return _pairs_ok(scratch.reshape(-1))

    def _tile(self, plan: _KindPlan, stride: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """``low`` and ``span`` repeated for ``rows`` records of ``stride`` bytes (and scratch that big)."""
        tiles = self._tiles.get((plan.index, stride))
        if tiles is None:
            # the separators (stride > record length) were checked by the reader: any byte passes here
            pad = stride - len(plan.low)
            low = np.tile(np.concatenate([plan.low, np.zeros(pad, dtype=np.uint8)]), rows)
            span = np.tile(np.concatenate([plan.span, np.full(pad, 255, dtype=np.uint8)]), rows)
            tiles = self._tiles[(plan.index, stride)] = (low, span)
        if len(self._diff) < rows * stride:
            self._diff = np.empty(rows * stride, dtype=np.uint8)
            self._outside = np.empty(rows * stride, dtype=np.bool_)
        return tiles

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
                sub, nums, where, full = rows, numbers, None, _full(block)
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
            codes = "・".join(k.code for k in self.layout.kinds)
            kf = Field("data_kind", self.kpos + 1, 1, "N", "データ区分")
            self._rows_issue(
                unknown,
                rows,
                numbers,
                kf,
                "allowed",
                lambda raw: (
                    f"データ区分 {describe_byte(raw, 0)} は {codes} のいずれかでなければなりません",
                    f"data_kind {in_english(describe_byte(raw, 0))} must be one of {codes.replace('・', ', ')}",
                ),
            )
        prev = np.empty_like(kinds)
        prev[0] = self.last_kind
        prev[1:] = kinds[:-1]
        bad = np.flatnonzero(~self.follows[prev, kinds])
        for i in bad[: self.report.listable("error", "order", len(bad), at_most=_MAX_DETAIL)]:
            cur = self.layout.kinds[kinds[i] - 1]
            before = self.layout.kinds[prev[i] - 1] if prev[i] else None
            if before is None:
                ja = f"ファイルの先頭が{cur.ja}です ({self.layout.kinds[0].ja}で始まらなければなりません)"
                en = f"the file starts with a {cur.name} record; it must start with a {self.layout.kinds[0].name}"
            else:
                ja = f"{before.ja}の後に{cur.ja}は置けません"
                en = f"a {cur.name} record cannot follow a {before.name} record"
            self._issue(int(numbers[i]), "record_order", "order", ja, en)
        self.last_kind = int(kinds[-1])

    def _check_kind(
        self,
        plan: _KindPlan,
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

    def _newlines_inside(self, rows: np.ndarray, nums: np.ndarray) -> None:
        """A CR or LF inside a record (not as its separator) is a separator fault, whatever field it is in."""
        hits = (rows == 13) | (rows == 10)
        hit = np.flatnonzero(hits.any(axis=1))
        for i in hit[: self.report.listable("error", "newline_inside", len(hit))]:
            at = int(np.argmax(hits[i]))
            which = "CR" if rows[i, at] == 13 else "LF"
            self.report.add(
                FormatIssue(
                    int(nums[i]),
                    "separator",
                    "newline_inside",
                    f"レコードの {at + 1} バイト目に {which} があります (区切りはレコードの後の CR LF だけです)",
                    f"a {which} at byte {at + 1} inside the record (the only separator is CR LF after a record)",
                    at + 1,
                    at + 1,
                )
            )

    def _field_faults(self, f: Field, col: np.ndarray, sub: np.ndarray, nums: np.ndarray) -> np.ndarray | None:
        """Word the digit, character-set and dummy faults of one field; return the bad-row mask."""
        if f.dummy:
            nonblank = (col != 32).any(axis=1)
            if nonblank.any():
                self._rows_issue(
                    nonblank,
                    sub,
                    nums,
                    f,
                    "dummy",
                    lambda raw: ("ダミー項目は空白でなければなりません", "a dummy field should be spaces"),
                    "warning",
                )
            return None
        if f.type == "N":
            bad = np.asarray((col - np.uint8(48) > 9).any(axis=1))
            if f.blank_ok:
                bad = bad & ~(col == 32).all(axis=1)
            if bad.any():
                self._rows_issue(bad, sub, nums, f, "digits", _digit_words(f))
            return bad
        if f.type == "K":
            kbad = kanji.bad_rows(col)
            if kbad.any():
                self._rows_issue(kbad, sub, nums, f, "kanji", lambda raw: _prefix(f, kanji.fault(raw)))
            return kbad
        if f.type == "C":
            cbad: np.ndarray = (~self.charset_ok[col]).any(axis=1)
            if cbad.any():
                self._rows_issue(cbad, sub, nums, f, "charset", _charset_words(f, self.charset_ok))
            return cbad
        return None

    def _check_encoding_flag(self, f: Field, col: np.ndarray, sub: np.ndarray, nums: np.ndarray) -> None:
        expected = ord("1") if self.ebcdic else ord("0")
        bad = (col[:, 0] != expected) & (col[:, 0] - np.uint8(48) <= 9)
        if f.allowed is not None:  # a value outside the allowed ones is reported as such, once
            bad &= np.isin(col[:, 0], [ord(v[0]) for v in f.allowed if v])
        if bad.any():
            enc = "EBCDIC" if self.ebcdic else "JIS/シフトJIS"
            self._rows_issue(
                bad,
                sub,
                nums,
                f,
                "encoding",
                lambda raw: (
                    f"{f.ja}「{raw.decode('ascii', 'replace')}」がファイルの文字コード ({enc}) と一致しません",
                    f"{f.name} '{raw.decode('ascii', 'replace')}' does not match the file's encoding "
                    f"({'EBCDIC' if self.ebcdic else 'JIS/Shift_JIS'})",
                ),
            )

    def _check_allowed(
        self,
        f: Field,
        col: np.ndarray,
        ok: np.ndarray,
        sub: np.ndarray,
        nums: np.ndarray,
        number: Callable[[Field], np.ndarray],
    ) -> None:
        assert f.allowed is not None
        if f.length == 1:
            good = np.take(_allowed_table(f), col[:, 0])
        elif f.type == "N" and f.length <= 6 and all(v.isdigit() and len(v) == f.length for v in f.allowed):
            # rows that are not digits are out of the check (ok is False): clip only keeps the index in range
            good = np.take(_allowed_table(f), number(f), mode="clip")
        else:
            good = np.zeros(len(col), dtype=np.bool_)
            for v in f.allowed:
                good |= (col == np.frombuffer(v.encode("ascii"), dtype=np.uint8)).all(axis=1)
        if f.blank_ok:
            good |= (col == 32).all(axis=1)
        bad = ok & ~good
        if bad.any():
            allowed = ", ".join(f.allowed)
            self._rows_issue(
                bad,
                sub,
                nums,
                f,
                "allowed",
                lambda raw: (
                    f"{f.ja}「{raw.decode('cp932', 'replace')}」は使えません (使える値: {allowed})",
                    f"{f.name} '{raw.decode('cp932', 'replace')}' is not allowed (allowed: {allowed})",
                ),
            )

    def _check_date(
        self,
        f: Field,
        col: np.ndarray,
        ok: np.ndarray,
        sub: np.ndarray,
        nums: np.ndarray,
        number: Callable[[Field], np.ndarray],
    ) -> None:
        style = str(f.date)
        good = dates.check(style, col, today=self.today, value=number(f) if f.type == "N" else None)
        if f.blank_ok:
            good |= (col == 32).all(axis=1)
        bad = ok & ~good
        if bad.any():
            ja_style, en_style = dates.DESCRIPTIONS[style]
            self._rows_issue(
                bad,
                sub,
                nums,
                f,
                "date",
                lambda raw: (
                    f"{f.ja}「{raw.decode('ascii', 'replace')}」は実在する{ja_style}ではありません",
                    f"{f.name} '{raw.decode('ascii', 'replace')}' is not a real {en_style}",
                ),
            )

    def _check_range(
        self,
        f: Field,
        kind: RecordKind,
        ok: np.ndarray,
        sub: np.ndarray,
        nums: np.ndarray,
        values: dict[str, np.ndarray],
        numbers: Callable[[Field], np.ndarray],
    ) -> None:
        """期別 and the like: a number within the range its key (e.g. 科目コード) allows."""
        assert f.ranges is not None and f.range_key is not None
        key = values.get(f.range_key)
        if key is None:
            return
        number = numbers(f)
        width = key.shape[1]
        tables = self._range_tables.get(id(f))
        if tables is None:
            # (first, last) per key value, looked up by the key as a number; -1 where the key has no range
            size = 10 ** min(width, 6)
            lo_table = np.full(size, -1, dtype=np.int64)
            hi_table = np.full(size, -1, dtype=np.int64)
            for code, (first, last) in f.ranges.items():
                if code.isdigit() and int(code) < size:
                    lo_table[int(code)], hi_table[int(code)] = first, last
            tables = self._range_tables[id(f)] = (lo_table, hi_table)
        key_number = numbers(kind.field(f.range_key))
        lo, hi = np.take(tables[0], key_number, mode="clip"), np.take(tables[1], key_number, mode="clip")
        bad = ok & (lo >= 0) & ((number < lo) | (number > hi))
        if bad.any():
            key_field = f.range_key
            idx = np.flatnonzero(bad)
            for i in idx[: self.report.listable("error", "range", len(idx))]:
                code = bytes(key[i]).decode("ascii")
                first, last = f.ranges.get(code, f.ranges.get(code.lstrip("0"), (0, 0)))
                value = int(number[i])
                self._issue(
                    int(nums[i]),
                    f,
                    "range",
                    f"{f.ja} {value} は {key_field}「{code}」の範囲 {first}～{last} の外です",
                    f"{f.name} {value} is outside {first}-{last} allowed for {key_field} '{code}'",
                )

    def _check_lookup(
        self,
        f: Field,
        ok: np.ndarray,
        sub: np.ndarray,
        nums: np.ndarray,
        values: dict[str, np.ndarray],
        number: Callable[[Field], np.ndarray],
    ) -> None:
        m = master()
        # where ok is False the digits are garbage: every use below is masked by ok, clipping keeps indices in range
        code = number(f)
        if f.lookup == "bank":
            unknown = ok & ~np.take(m.bank_known, code, mode="clip")
            values["_bank_int"] = np.where(ok, code, -1)
            words = lambda raw: (  # noqa: E731
                f"金融機関コード {raw.decode()} は金融機関マスタ ({m.version}) にありません",
                f"bank code {raw.decode()} is not in the bank master ({m.version})",
            )
        else:
            bank = values.get("_bank_int")
            if bank is None:
                return
            # np.clip's Python wrapper costs more than these two ufuncs on a block
            known = m.branch_known(np.minimum(np.maximum(bank, 0), 9999), np.minimum(np.maximum(code, 0), 999))
            unknown = ok & (bank >= 0) & np.take(m.bank_known, bank, mode="clip") & ~known
            words = lambda raw: (  # noqa: E731
                f"支店コード {raw.decode()} は金融機関マスタ ({m.version}) にありません",
                f"branch code {raw.decode()} is not in the bank master ({m.version})",
            )
        if unknown.any():
            self._rows_issue(unknown, sub, nums, f, "unknown_code", words, "warning")

    # -- totals and batches ----------------------------------------------------------------------
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
            self._issue(
                self.last_record,
                "record_order",
                "missing_end",
                f"ファイルが{fk.ja}で終わっていません",
                f"the file does not end with a {fk.name} record",
            )
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
                    self._issue(
                        record,
                        f,
                        "request_total",
                        f"請求データの{f.ja}は 0 でなければなりません ({expected})",
                        f"{f.name} must be zero in a request file (is {expected:,})",
                    )
            elif expected != actual and unreadable:
                self._issue(
                    record,
                    f,
                    "total_unverified",
                    f"{f.ja} {expected:,} を確認できません (金額が読めないデータレコードが {unreadable:,} 件あります)",
                    f"{f.name} {expected:,} cannot be checked: {unreadable:,} data record(s) have an unreadable value",
                    severity="warning",
                )
            elif expected != actual:
                self._issue(
                    record,
                    f,
                    "total",
                    f"{f.ja} {expected:,} がデータレコードから求めた {actual:,} と一致しません",
                    f"{f.name} {expected:,} does not match {actual:,} computed from the data records",
                )
        return mode

    def raw_tables(self) -> dict[str, pa.Table]:
        """Per record kind: numbers as int64, other fields as fixed-width cp932 bytes."""
        import pyarrow as pa

        out: dict[str, pa.Table] = {}
        for plan in self.plans:
            cols = self.columns.get(plan.kind.name) or {}
            kept = self.kept[plan.kind.name]
            n = kept.count
            if not n:
                continue
            arrays: dict[str, pa.Array] = {}
            if "batch" in kept.numbers:
                arrays["batch"] = _arrow(kept.number_column("batch"))
            elif "batch" in cols:
                arrays["batch"] = _arrow(np.concatenate(cols["batch"]).astype(np.int64))
            for f in plan.kind.fields:
                if f.dummy:
                    continue
                if f.numeric:
                    arrays[f.name] = _arrow(kept.number_column(f.name))
                else:
                    arrays[f.name] = pa.FixedSizeBinaryArray.from_buffers(
                        pa.binary(f.length), n, [None, pa.py_buffer(kept.column(f))]
                    )
            arrays["record_number"] = _arrow(kept.number_column("record_number"))
            out[plan.kind.name] = pa.table(arrays)
        return out


_KEYED = {"result_code", "bank_code", "branch_code"}
_QUICK_BYTES = 65536  # the slice of a block the quick byte test handles at once (see Engine._plain_ok)
#: kanji.VALID_PAIRS indexed by a byte pair read as a little-endian uint16 (trail << 8 | lead)
_VALID_PAIRS_LE = kanji.VALID_PAIRS.reshape(256, 256).T.copy().reshape(65536)


def _arrow(values: np.ndarray) -> pa.Array:
    """A numpy array of numbers as an Arrow array over the same memory. ``pa.array`` would do the same
    but imports pandas (~40 MiB in every hub worker) the first time it sees a numpy array."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


@functools.cache
def _valid_pairs_arrow() -> pa.Array:
    return _arrow(_VALID_PAIRS_LE.view(np.uint8))


def _equals(col: np.ndarray, value: str) -> np.ndarray:
    """Rows of a byte column (n × w) equal to ``value``."""
    if col.shape[1] == 1 and len(value) == 1:
        return np.asarray(col[:, 0] == ord(value))
    return np.asarray((col == np.frombuffer(value.encode("ascii"), dtype=np.uint8)).all(axis=1))


def _pairs_ok(data: np.ndarray) -> bool:
    """Every byte pair of ``data`` (uint8, even length) is a JIS X 0208 character or two spaces."""
    if not len(data):
        return True
    # Arrow's take reads the uint16 pairs as they are; numpy's widens them to int64 first (2-3x slower)
    import pyarrow.compute as pc

    ok = pc.take(_valid_pairs_arrow(), _arrow(data.view("<u2")))
    return bool(pc.min(ok).as_py() == 1)


def _full(block: Block) -> np.ndarray:
    return block.full if block.full is not None else np.ascontiguousarray(block.rows)


def _allowed_table(f: Field) -> np.ndarray:
    """Allowed values as a lookup table: by byte for one-byte fields, else by the digits' value."""
    assert f.allowed is not None
    return _value_table(f.length, f.allowed)


@functools.cache
def _value_table(length: int, allowed: tuple[str, ...]) -> np.ndarray:
    if length == 1:
        table = np.zeros(256, dtype=np.bool_)
        for v in allowed:
            table[ord(v)] = True
        return table
    table = np.zeros(10**length, dtype=np.bool_)
    table[[int(v) for v in allowed]] = True
    return table


def _digit_words(f: Field) -> Words:
    def words(raw: bytes) -> tuple[str, str]:
        i = next(j for j, b in enumerate(raw) if not 48 <= b <= 57)
        ch = describe_byte(raw, i)
        return (
            f"{f.ja}の {f.start + i} バイト目 {ch} は数字ではありません",
            f"{f.name} byte {f.start + i} {in_english(ch)} is not a digit",
        )

    return words


def _charset_words(f: Field, ok: np.ndarray) -> Words:
    def words(raw: bytes) -> tuple[str, str]:
        i = next(j for j, b in enumerate(raw) if not ok[b])
        ch = describe_byte(raw, i)
        return (
            f"{f.ja}の {f.start + i} バイト目 {ch} は全銀協の文字セットにない文字です",
            f"{f.name} byte {f.start + i} {in_english(ch)} is not in the Zengin character set",
        )

    return words


def _fixed_bytes(array: pa.Array | pa.ChunkedArray, width: int) -> np.ndarray:
    """A fixed-width binary Arrow array as an (n × width) uint8 view."""
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    buffer = array.buffers()[1]
    return np.frombuffer(buffer, dtype=np.uint8, count=n * width, offset=array.offset * width).reshape(n, width)


def decode_table(kind: RecordKind, table: pa.Table) -> pa.Table:
    """Raw columns (see :class:`Parsed`) → strings: identifiers as they are, text without trailing spaces."""
    import pyarrow as pa

    fields = {f.name: f for f in kind.fields}
    arrays = {}
    for name in table.column_names:
        f = fields.get(name)
        column = table[name]
        if f is None or f.numeric:
            arrays[name] = column
        elif f.type == "K":
            arrays[name] = decode_wide(_fixed_bytes(column, f.length))
        else:
            arrays[name] = decode_text(_fixed_bytes(column, f.length), strip=f.type != "N")
    return pa.table(arrays)


# cp932 bytes that are characters on their own stay; the others (lead bytes, undefined) become 0x7F,
# which is decoded as U+FFFD: a column of w bytes is always w characters
_SINGLE = bytes(b if (b < 0x80 and b != 0x7F) or 0xA1 <= b <= 0xDF else 0x7F for b in range(256))


def decode_text(col: np.ndarray, *, strip: bool) -> pa.Array:
    """Fixed-width cp932 single-byte columns (n × w) → Arrow strings, trailing spaces removed."""
    import pyarrow as pa

    n, w = col.shape
    if n == 0 or w == 0:
        return pa.array([""] * n, type=pa.string())
    if strip:
        width_index = np.arange(1, w + 1, dtype=np.uint8 if w < 256 else np.int64)
        keep_len = ((col != 32) * width_index).max(axis=1).astype(np.int64)
        raw = col[np.arange(w)[None, :] < keep_len[:, None]] if (keep_len < w).any() else col.ravel()
    else:
        keep_len = np.full(n, w, dtype=np.int64)
        raw = np.ascontiguousarray(col).ravel()
    lengths = keep_len
    data: bytes = raw.tobytes()
    if (raw >= 0x7F).any():
        # trailing spaces are never high bytes: count them over the whole row
        lengths = keep_len + 2 * (col >= 0x7F).sum(axis=1, dtype=np.int64)
        data = data.translate(_SINGLE).decode("cp932").replace("\x7f", "\ufffd").encode("utf-8")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] < 2**31 - 1:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def decode_wide(col: np.ndarray) -> pa.Array:
    """Full-width cp932 columns (n × even w) → Arrow strings, trailing (full- or half-width) spaces removed.

    Faulty characters (already reported by validation) become ？.
    """
    import pyarrow as pa

    n, w = col.shape
    if n == 0 or w == 0:
        return pa.array([""] * n, type=pa.string())
    pairs = np.ascontiguousarray(col).view(">u2")
    pairs = np.where(pairs == 0x2020, 0x8140, np.where(kanji.VALID_PAIRS[pairs], pairs, 0x8148)).astype(">u2")
    text = pairs.tobytes().decode("cp932")
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").reshape(n, w // 2)
    index = np.arange(1, w // 2 + 1, dtype=np.int64)
    keep_len = ((points != 0x3000) * index).max(axis=1)
    keep = index[None, :] <= keep_len[:, None]
    utf8_len = 1 + (points >= 0x80) + (points >= 0x800)
    lengths = (utf8_len * keep).sum(axis=1)
    data = np.ascontiguousarray(points[keep]).tobytes().decode("utf-32-le").encode("utf-8")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())


def _prefix(f: Field, words: tuple[str, str]) -> tuple[str, str]:
    return f"{f.ja}: {words[0]}", f"{f.name}: {words[1]}"


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
        engine.feed(block)
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
