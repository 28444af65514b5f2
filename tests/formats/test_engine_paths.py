"""The engine's quick paths give the same answers as the exact ones they stand in for.

The block check first runs cheap whole-block tests (byte ranges, one translate per C field, one pair
table lookup for all K fields) and only looks byte by byte when they fail; digits are read with SWAR
arithmetic; dates are cut out of the field's number; ``parse`` copies columns block by block into
buffers sized from the file. Each is compared here with the straightforward computation.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest

from kokin.formats import FORMATS, dates, kanji
from kokin.formats import synth as sample
from kokin.formats.engine import Engine, digits_to_int, run
from kokin.formats.errors import Report
from kokin.formats.kinds import special_breakdown, zengin_debit
from support.records import request_file


def _by_place(col: np.ndarray) -> np.ndarray:
    out = np.zeros(col.shape[0], dtype=np.int64)
    for j in range(col.shape[1]):
        out = out * 10 + (col[:, j].astype(np.int64) - 48)
    return out


@pytest.mark.parametrize("width", range(19))
def test_digits_to_int_is_the_place_value_sum_for_digits_and_for_garbage(width: int) -> None:
    rng = np.random.default_rng(width)
    rows = rng.integers(48, 58, (3000, 40), dtype=np.uint8)
    broken = rng.random(rows.shape) < 0.02
    rows[broken] = rng.integers(0, 256, int(broken.sum()), dtype=np.uint8)
    rows[:5] = ord("9")
    for start in (0, 1, 5):
        col = rows[:, start : start + width]
        assert np.array_equal(digits_to_int(col), _by_place(col))
        assert np.array_equal(digits_to_int(np.ascontiguousarray(col)), _by_place(col))
    every_other = rows[:, : 2 * width : 2]
    assert np.array_equal(digits_to_int(every_other), _by_place(every_other))


@pytest.mark.parametrize("style", sorted(dates.LENGTHS))
def test_a_date_cut_out_of_its_number_is_checked_like_digit_by_digit(style: str) -> None:
    rng = np.random.default_rng(7)
    width = dates.LENGTHS[style]
    col = rng.integers(48, 58, (20000, width), dtype=np.uint8)
    today = dt.date(2026, 5, 27)
    for i, text in enumerate(("20240229", "20230229", "0229", "4310430", "4310501", "5070527", "2026", "507")):
        if len(text) == width:
            col[i] = np.frombuffer(text.encode(), dtype=np.uint8)
    exact = dates.check(style, col, today=today)
    quick = dates.check(style, col, today=today, value=digits_to_int(col))
    assert np.array_equal(exact, quick)


def _engine(layout: object) -> Engine:
    return Engine(layout, Report())  # type: ignore[arg-type]


def _exact_flag(engine: Engine, plan_index: int, rows: np.ndarray) -> np.ndarray:
    plan = engine.plans[plan_index]
    cls = np.take(engine.classes, rows) & plan.need
    return np.flatnonzero((cls == 0).any(axis=1))


@pytest.mark.parametrize("stride_extra", [0, 2])
def test_the_quick_plain_test_clears_a_block_only_when_no_byte_breaks_its_class(stride_extra: int) -> None:
    engine = _engine(zengin_debit.LAYOUT)
    data = engine.plans[1]
    record = np.frombuffer(request_file(1)[122:242], dtype=np.uint8)[:120]
    rng = np.random.default_rng(1)
    for _ in range(400):
        full = np.zeros((50, 120 + stride_extra), dtype=np.uint8)
        full[:, :120] = record
        full[:, 120:] = (13, 10)[:stride_extra]
        for _ in range(rng.integers(0, 3)):
            full[rng.integers(50), rng.integers(1, 120)] = rng.choice([32, 48, 57, 58, 47, 0xB1, 0xA7, 0x81, 13])
        rows = full[:, :120]
        expected = _exact_flag(engine, 1, rows)
        assert engine._plain_ok(data, full) == (len(expected) == 0)
        assert np.array_equal(engine._flag(data, rows, full), expected)


def test_the_quick_wide_test_clears_a_block_only_when_every_pair_is_jis_x_0208() -> None:
    raw, _ = sample.generate("special-breakdown", 40, seed=3)
    layout = special_breakdown.LAYOUT
    engine = _engine(layout)
    plan = next(p for p in engine.plans if p.kind.name == "data")
    stride = layout.record_length + 2
    full = np.frombuffer(raw, dtype=np.uint8).reshape(-1, stride)[1:-2].copy()
    assert plan.wides and engine._wide_ok(plan, full)
    rng = np.random.default_rng(2)
    for _ in range(200):
        broken = full.copy()
        f = plan.wides[rng.integers(len(plan.wides))]
        broken[rng.integers(len(broken)), f.start - 1 + rng.integers(f.length)] = rng.choice([0x20, 0xB1, 0x87, 0xF0])
        exact = any(kanji.bad_rows(broken[:, g.slice]).any() for g in plan.wides)
        assert engine._wide_ok(plan, broken) == (not exact)


class _Unsized(io.RawIOBase):
    """A stream that cannot seek, so the engine cannot size its columns up front."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)


@pytest.mark.parametrize("kind", ["zengin-debit", "special-breakdown"])
def test_columns_grow_when_the_size_is_unknown_and_match_a_sized_parse(kind: str) -> None:
    raw, _ = sample.generate(kind, 5000, seed=11)
    layout = FORMATS[kind].LAYOUT  # type: ignore[attr-defined]
    sized = run(layout, io.BytesIO(raw), collect=True, block_records=333)
    unsized = run(layout, _Unsized(raw), collect=True, block_records=333)  # type: ignore[arg-type]
    assert sized.report.ok and unsized.report.ok
    assert sized.columns.keys() == unsized.columns.keys()
    for name, table in sized.columns.items():
        assert table.equals(unsized.columns[name])
    assert len(sized.columns["data"]) == 5000
    records = list(FORMATS[kind].iter_records(raw))  # type: ignore[attr-defined]
    data = [r for r in records if r["record_kind"] == "data"]
    table = sized.tables["data"]
    assert table.column("record_number").to_pylist() == [r["record_number"] for r in data]
    assert table.column("amount").to_pylist() == [r["amount"] for r in data]
    assert table.column("bank_code" if kind == "zengin-debit" else "employer_name").to_pylist() == [
        r["bank_code" if kind == "zengin-debit" else "employer_name"] for r in data
    ]
