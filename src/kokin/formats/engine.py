"""The layout engine: validate and decode fixed-width records block by block, with numpy.

Every check of a :class:`~kokin.formats.layout.Layout` runs as array operations over a block of
records (k × record_length bytes): digits in N fields, allowed values, the character set of C fields,
dates, master lookups, record order and trailer totals. Python only touches the records that are
wrong, to word their messages. Blocks come from :class:`~kokin.formats.framing.RecordReader`, so a
file of any size is checked in constant memory; with ``collect=True`` the decoded fields are kept as
columns and returned as Arrow tables.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

import numpy as np
import pyarrow as pa

from kokin.formats import dates, kanji
from kokin.formats.bankmaster import master
from kokin.formats.charset import byte_table, describe_byte, in_english
from kokin.formats.errors import FormatIssue, Report
from kokin.formats.framing import Block, RecordReader
from kokin.formats.layout import Field, Layout, RecordKind

Mode = Literal["auto", "request", "result"]
Words = Callable[[bytes], tuple[str, str]]  # a faulty field's bytes → (Japanese, English) message
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_MAX_DETAIL = 100_000  # per field and block: beyond this, faults are counted, not worded one by one


def digits_to_int(col: np.ndarray) -> np.ndarray:
    """Zero-filled ASCII digits (n × w uint8) → int64; garbage in non-digit rows (check first)."""
    w = col.shape[1]
    out = np.zeros(col.shape[0], dtype=np.int64)
    for j in range(w):
        out *= 10
        out += col[:, j]
    out -= 48 * int("1" * w) if w else 0
    return out


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


# byte classes for the one-pass scan: 1 digit, 2 Zengin character (set per layout), 4 space, 128 any byte
_CLASSES = np.full(256, 128, dtype=np.uint8)
_CLASSES[48:58] |= 1
_CLASSES[32] |= 4


@dataclass
class _KindPlan:
    kind: RecordKind
    index: int
    need: np.ndarray
    plain: list[Field] = field(default_factory=list)
    special: list[Field] = field(default_factory=list)
    #: fields whose digits / characters the one-pass scan checks (plain ones and most special ones)
    scanned: list[Field] = field(default_factory=list)
    numeric: list[Field] = field(default_factory=list)

    @classmethod
    def of(cls, kind: RecordKind, index: int, record_length: int, kind_position: int) -> _KindPlan:
        plan = cls(kind, index, np.full(record_length, 128, dtype=np.uint8))
        keys = {f.range_key for f in kind.fields if f.range_key}
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
            plan.need[f.slice] = 4 if f.dummy else (1 if f.type == "N" else 2)
        return plan


class Engine:
    """Validate (and optionally decode) a stream of blocks against ``layout``."""

    def __init__(
        self, layout: Layout, report: Report, *, mode: Mode = "auto", collect: bool = False, check_master: bool = True
    ) -> None:
        self.layout = layout
        self.report = report
        self.mode = mode
        self.collect = collect
        self.check_master = check_master
        self.charset_ok = byte_table(layout.charset)
        self.classes = _CLASSES.copy()
        self.classes[self.charset_ok] |= 2
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
        self.totals = layout.totals
        self.running = np.zeros(2 * len(self.totals), dtype=np.int64)
        self.batch_start = np.zeros(2 * len(self.totals), dtype=np.int64)
        self.batch = 0
        self.in_batch = False
        self.result_marks = 0  # data records whose result field says this is a result file
        # (record, total index, expected, actual, records whose value could not be read)
        self.pending_totals: list[tuple[int, int, int, int, int]] = []
        self.columns: dict[str, dict[str, list[np.ndarray]]] = {p.kind.name: {} for p in self.plans}
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
        for i in idx[:_MAX_DETAIL]:
            raw = rows[i, f.slice].tobytes()
            ja, en = words(raw)
            self._issue(int(numbers[i]), f, code, ja, en, severity)
        for _ in idx[_MAX_DETAIL:]:
            self._issue(None, f, code, "同じ誤りが多数あります", "many more of the same fault", severity)

    # -- blocks --------------------------------------------------------------------------------
    def scan(self, block: Block) -> tuple[np.ndarray, np.ndarray | None]:
        """The stateless part of a block's check (numpy only, so it can run in another thread).

        Returns each record's kind and, when the block is of one kind only (the usual case), the
        rows where a plain field is wrong.
        """
        kinds = self.kind_index[block.rows[:, self.kpos]]
        first = int(kinds[0])
        if 0 < first <= len(self.plans) and bool((kinds == first).all()):
            return kinds, self._flag(self.plans[first - 1], block.rows)
        return kinds, None

    def _flag(self, plan: _KindPlan, sub: np.ndarray) -> np.ndarray:
        """Rows of ``sub`` where a plain field breaks its byte class: one table lookup, one AND, one min."""
        cls = np.take(self.classes, sub)
        np.bitwise_and(cls, plan.need, out=cls)
        if cls.min() != 0:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero((cls == 0).any(axis=1))

    def feed(self, block: Block, scanned: tuple[np.ndarray, np.ndarray | None] | None = None) -> None:
        rows, numbers = block.rows, block.numbers
        self.last_record = int(numbers[-1])
        kinds, flagged = scanned if scanned is not None else self.scan(block)
        self._check_order(rows, kinds, numbers)
        contributions = np.zeros((2 * len(self.totals), len(rows)), dtype=np.int64) if self.totals else None
        values: dict[str, dict[str, np.ndarray]] = {}
        for plan in self.plans:
            sel = kinds == plan.index
            if not sel.any():
                continue
            if sel.all():
                sub, nums, where = rows, numbers, None
                plan_flagged = flagged
            else:
                where = np.flatnonzero(sel)
                sub, nums = rows[where], numbers[where]
                plan_flagged = None
            values[plan.kind.name] = self._check_kind(plan, sub, nums, plan_flagged)
            if plan is self.data_kind and contributions is not None:
                self._contribute(contributions, values["data"], where, len(rows))
        self._batches(kinds, numbers, contributions, values)

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
        bad: np.ndarray = ~self.follows[prev, kinds]
        for i in np.flatnonzero(bad)[:_MAX_DETAIL]:
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
        self, plan: _KindPlan, sub: np.ndarray, nums: np.ndarray, flagged: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Check one kind's records; return the values later checks need (amounts, codes).

        One table lookup over the block finds the records where a plain field (digits, Zengin
        characters, blank dummies) is wrong; only those records are examined field by field.
        Fields with allowed values, dates, lookups or blanks allowed are checked column by column.
        """
        values: dict[str, np.ndarray] = {}
        if flagged is None:
            flagged = self._flag(plan, sub)
        faulty: dict[str, np.ndarray] = {}
        if len(flagged):
            fsub, fnums = sub[flagged], nums[flagged]
            self._newlines_inside(fsub, fnums)
            for f in plan.scanned:
                bad = self._field_faults(f, fsub[:, f.slice], fsub, fnums)
                if bad is not None and bad.any():
                    faulty[f.name] = flagged[bad]
        ranged: list[tuple[Field, np.ndarray, np.ndarray]] = []
        for f in plan.special:
            col = sub[:, f.slice]
            if f.name == self.layout.extra.get("encoding_field") and self.ebcdic is not None:
                self._check_encoding_flag(f, col, sub, nums)
            if f in plan.scanned:
                ok = np.ones(len(sub), dtype=np.bool_)
                if f.name in faulty:
                    ok[faulty[f.name]] = False
            else:
                bad = self._field_faults(f, col, sub, nums)
                ok = ~bad if bad is not None else np.ones(len(sub), dtype=np.bool_)
            if f.allowed is not None:
                self._check_allowed(f, col, ok, sub, nums)
            if f.date:
                self._check_date(f, col, ok, sub, nums)
            if f.lookup and self.check_master:
                self._check_lookup(f, col, ok, sub, nums, values)
            if f.ranges is not None:
                ranged.append((f, col, ok))
            if f.type == "N" and f.name not in faulty and not ok.all():
                faulty[f.name] = np.flatnonzero(~ok)
            if not f.numeric:
                values[f.name] = col
        for f, col, ok in ranged:
            self._check_range(f, col, ok, sub, nums, values)
        for f in plan.numeric:
            v = digits_to_int(sub[:, f.slice])
            if f.name in faulty:
                v[faulty[f.name]] = 0
                bad = np.zeros(len(v), dtype=np.int64)
                bad[faulty[f.name]] = 1
                values[f"{f.name}!bad"] = bad
            values[f.name] = v
        if self.collect:
            # blocks are views of immutable buffers: keeping them costs no copy
            cols = self.columns[plan.kind.name]
            cols.setdefault("_rows", []).append(sub)
            for f in plan.numeric:
                cols.setdefault(f.name, []).append(values[f.name])
            cols.setdefault("_record", []).append(nums)
        return values

    def _newlines_inside(self, rows: np.ndarray, nums: np.ndarray) -> None:
        """A CR or LF inside a record (not as its separator) is a separator fault, whatever field it is in."""
        hits = (rows == 13) | (rows == 10)
        for i in np.flatnonzero(hits.any(axis=1)):
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

    def _check_allowed(self, f: Field, col: np.ndarray, ok: np.ndarray, sub: np.ndarray, nums: np.ndarray) -> None:
        assert f.allowed is not None
        if f.length == 1:
            table = np.zeros(256, dtype=np.bool_)
            for v in f.allowed:
                table[ord(v)] = True
            good = table[col[:, 0]]
        elif f.type == "N" and f.length <= 6 and all(v.isdigit() and len(v) == f.length for v in f.allowed):
            table = np.zeros(10**f.length, dtype=np.bool_)
            table[[int(v) for v in f.allowed]] = True
            good = table[np.clip(digits_to_int(col), 0, 10**f.length - 1)]
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

    def _check_date(self, f: Field, col: np.ndarray, ok: np.ndarray, sub: np.ndarray, nums: np.ndarray) -> None:
        style = str(f.date)
        good = dates.check(style, col)
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
        col: np.ndarray,
        ok: np.ndarray,
        sub: np.ndarray,
        nums: np.ndarray,
        values: dict[str, np.ndarray],
    ) -> None:
        """期別 and the like: a number within the range its key (e.g. 科目コード) allows."""
        assert f.ranges is not None and f.range_key is not None
        key = values.get(f.range_key)
        if key is None:
            return
        number = digits_to_int(col)
        width = key.shape[1]
        # (first, last) per key value, looked up by the key as a number; -1 where the key has no range
        size = 10 ** min(width, 6)
        lo_table = np.full(size, -1, dtype=np.int64)
        hi_table = np.full(size, -1, dtype=np.int64)
        for code, (first, last) in f.ranges.items():
            if code.isdigit() and int(code) < size:
                lo_table[int(code)], hi_table[int(code)] = first, last
        key_number = np.clip(digits_to_int(key), 0, size - 1)
        lo, hi = lo_table[key_number], hi_table[key_number]
        bad = ok & (lo >= 0) & ((number < lo) | (number > hi))
        if bad.any():
            key_field = f.range_key
            for i in np.flatnonzero(bad):
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
        col: np.ndarray,
        ok: np.ndarray,
        sub: np.ndarray,
        nums: np.ndarray,
        values: dict[str, np.ndarray],
    ) -> None:
        m = master()
        code = digits_to_int(col)
        code[~ok] = 0
        if f.lookup == "bank":
            unknown = ok & ~m.bank_known[np.clip(code, 0, 9999)]
            values["_bank_int"] = np.where(ok, code, -1)
            words = lambda raw: (  # noqa: E731
                f"金融機関コード {raw.decode()} は金融機関マスタ ({m.version}) にありません",
                f"bank code {raw.decode()} is not in the bank master ({m.version})",
            )
        else:
            bank = values.get("_bank_int")
            if bank is None:
                return
            key = np.clip(bank, 0, 9999) * 1000 + np.clip(code, 0, 999)
            unknown = ok & (bank >= 0) & m.bank_known[np.clip(bank, 0, 9999)] & ~m.branch_known[key]
            words = lambda raw: (  # noqa: E731
                f"支店コード {raw.decode()} は金融機関マスタ ({m.version}) にありません",
                f"branch code {raw.decode()} is not in the bank master ({m.version})",
            )
        if unknown.any():
            self._rows_issue(unknown, sub, nums, f, "unknown_code", words, "warning")

    # -- totals and batches ----------------------------------------------------------------------
    def _contribute(
        self, contributions: np.ndarray, data: dict[str, np.ndarray], where: np.ndarray | None, n: int
    ) -> None:
        for t, total in enumerate(self.totals):
            if total.op == "count":
                v = np.ones(n if where is None else len(where), dtype=np.int64)
            else:
                v = data[total.source].copy()  # type: ignore[index]
            if total.where is not None:
                fname, op, value = total.where
                col = data[fname]
                hit = (col == np.frombuffer(value.encode("ascii"), dtype=np.uint8)).all(axis=1)
                v[~hit if op == "==" else hit] = 0
            # a second row per total counts records whose source value could not be read
            bad = data.get(f"{total.source}!bad") if total.source else None
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
            self.result_marks += int((data[marker] != ord("0")).any(axis=1).sum())

    def _batches(
        self,
        kinds: np.ndarray,
        numbers: np.ndarray,
        contributions: np.ndarray | None,
        values: dict[str, dict[str, np.ndarray]],
    ) -> None:
        names = [k.name for k in self.layout.kinds]
        header_i = names.index("header") + 1 if "header" in names else -1
        trailer_i = names.index("trailer") + 1 if "trailer" in names else -1
        marks = np.flatnonzero((kinds == header_i) | (kinds == trailer_i))
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
            batch_of = (
                self.batch
                + np.cumsum(kinds == header_i)[data_sel]
                - (np.cumsum(kinds == header_i)[-1] if len(kinds) else 0)
            )
            self.columns["data"].setdefault("batch", []).append(batch_of)

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
        out: dict[str, pa.Table] = {}
        for plan in self.plans:
            cols = self.columns.get(plan.kind.name) or {}
            if not cols.get("_rows"):
                continue
            blocks = cols["_rows"]
            n = sum(len(b) for b in blocks)
            arrays: dict[str, pa.Array] = {}
            if "batch" in cols:
                arrays["batch"] = pa.array(np.concatenate(cols["batch"]).astype(np.int64))
            for f in plan.kind.fields:
                if f.dummy:
                    continue
                if f.numeric:
                    arrays[f.name] = pa.array(np.concatenate(cols[f.name]))
                else:
                    # one copy per field, straight from the blocks into a contiguous column
                    data = np.concatenate([b[:, f.slice] for b in blocks]) if blocks else np.empty((0, f.length))
                    arrays[f.name] = pa.FixedSizeBinaryArray.from_buffers(
                        pa.binary(f.length), n, [None, pa.py_buffer(data)]
                    )
            arrays["record_number"] = pa.array(np.concatenate(cols["_record"]))
            out[plan.kind.name] = pa.table(arrays)
        return out


_KEYED = {"result_code", "bank_code", "branch_code"}


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
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    buffer = array.buffers()[1]
    return np.frombuffer(buffer, dtype=np.uint8, count=n * width, offset=array.offset * width).reshape(n, width)


def decode_table(kind: RecordKind, table: pa.Table) -> pa.Table:
    """Raw columns (see :class:`Parsed`) → strings: identifiers as they are, text without trailing spaces."""
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


def run(
    layout: Layout,
    stream: BinaryIO,
    *,
    mode: Mode = "auto",
    collect: bool = False,
    check_master: bool = True,
    ebcdic: bool | None = None,
    max_issues: int | None = None,
    block_records: int = 4096,
    progress: Any = None,
) -> Parsed:
    """Validate (and with ``collect`` decode) one file; the workhorse behind every format module."""
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
        keep=collect,
    )
    engine = Engine(layout, report, mode=mode, collect=collect, check_master=check_master)
    for block in reader.blocks():
        engine.ebcdic = reader.ebcdic
        engine.feed(block)
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
