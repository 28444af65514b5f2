"""Field checks: digits, character set, full-width text, dummies, allowed values, dates, ranges, lookups.

The engine's part (a mixin of ``Engine``) that looks at one field of the records the quick test
flagged, or at a whole column for the fields that need more than a byte range. Each check finds the
faulty rows with array operations and hands them to ``_rows_issue`` with a wording from
:mod:`kokin.formats.engine.wording`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import numpy as np

from kokin.formats import dates, kanji
from kokin.formats.bankmaster import master
from kokin.formats.engine import wording
from kokin.formats.engine._common import EnginePart
from kokin.formats.errors import FormatIssue
from kokin.formats.layout import Field, RecordKind


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


class FieldChecks(EnginePart):
    """The engine's field checks (set up by ``Engine``)."""

    charset_ok: np.ndarray
    ebcdic: bool | None
    today: dt.date
    check_master: bool
    _range_tables: dict[int, tuple[np.ndarray, np.ndarray]]

    def _newlines_inside(self, rows: np.ndarray, nums: np.ndarray) -> None:
        """A CR or LF inside a record (not as its separator) is a separator fault, whatever field it is in."""
        hits = (rows == 13) | (rows == 10)
        hit = np.flatnonzero(hits.any(axis=1))
        for i in hit[: self.report.listable("error", "newline_inside", len(hit))]:
            at = int(np.argmax(hits[i]))
            which = "CR" if rows[i, at] == 13 else "LF"
            ja, en = wording.newline_inside(which, at)
            self.report.add(FormatIssue(int(nums[i]), "separator", "newline_inside", ja, en, at + 1, at + 1))

    def _field_faults(self, f: Field, col: np.ndarray, sub: np.ndarray, nums: np.ndarray) -> np.ndarray | None:
        """Word the digit, character-set and dummy faults of one field; return the bad-row mask."""
        if f.dummy:
            nonblank = (col != 32).any(axis=1)
            if nonblank.any():
                self._rows_issue(nonblank, sub, nums, f, "dummy", wording.dummy, "warning")
            return None
        if f.type == "N":
            bad = np.asarray((col - np.uint8(48) > 9).any(axis=1))
            if f.blank_ok:
                bad = bad & ~(col == 32).all(axis=1)
            if bad.any():
                self._rows_issue(bad, sub, nums, f, "digits", wording.digits(f))
            return bad
        if f.type == "K":
            kbad = kanji.bad_rows(col)
            if kbad.any():
                self._rows_issue(kbad, sub, nums, f, "kanji", wording.wide(f))
            return kbad
        if f.type == "C":
            cbad: np.ndarray = (~self.charset_ok[col]).any(axis=1)
            if cbad.any():
                self._rows_issue(cbad, sub, nums, f, "charset", wording.charset(f, self.charset_ok))
            return cbad
        return None

    def _check_encoding_flag(self, f: Field, col: np.ndarray, sub: np.ndarray, nums: np.ndarray) -> None:
        expected = ord("1") if self.ebcdic else ord("0")
        bad = (col[:, 0] != expected) & (col[:, 0] - np.uint8(48) <= 9)
        if f.allowed is not None:  # a value outside the allowed ones is reported as such, once
            bad &= np.isin(col[:, 0], [ord(v[0]) for v in f.allowed if v])
        if bad.any():
            self._rows_issue(bad, sub, nums, f, "encoding", wording.encoding(f, self.ebcdic))

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
            self._rows_issue(bad, sub, nums, f, "allowed", wording.not_allowed(f, f.allowed))

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
            self._rows_issue(bad, sub, nums, f, "date", wording.not_a_date(f, style))

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
                self._issue(int(nums[i]), f, "range", *wording.out_of_range(f, value, key_field, code, first, last))

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
            words = wording.unknown_bank(m.version)
        else:
            bank = values.get("_bank_int")
            if bank is None:
                return
            # np.clip's Python wrapper costs more than these two ufuncs on a block
            known = m.branch_known(np.minimum(np.maximum(bank, 0), 9999), np.minimum(np.maximum(code, 0), 999))
            unknown = ok & (bank >= 0) & np.take(m.bank_known, bank, mode="clip") & ~known
            words = wording.unknown_branch(m.version)
        if unknown.any():
            self._rows_issue(unknown, sub, nums, f, "unknown_code", words, "warning")
