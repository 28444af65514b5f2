"""The summary (:mod:`kokin.formats.summary`): the streamed summary's grouping against a plain-Python
reference, and a parsed file's summary against the streamed one for every kind."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.formats import FORMATS
from kokin.formats import synth as sample
from kokin.formats.errors import Report
from kokin.formats.framing import RecordReader
from kokin.formats.kinds import zengin_debit
from kokin.formats.layout import Field, Layout
from kokin.formats.summary import Summariser, _groups, check_and_summarise, summarise, summary

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


DEBIT = zengin_debit.LAYOUT
#: the debit layout grouped also by fields of more than 4 digits and by a field that is not digits
WIDE = dataclasses.replace(
    DEBIT,
    extra={
        **DEBIT.extra,
        "summary_by": (
            "result_code",
            "bank_code",
            "branch_code",
            "account_type",
            "account_number",
            "customer_number",
            "holder_name",
            "new_code",
        ),
    },
)


def reference_summary(raw: bytes, layout: Layout) -> dict[str, Any]:
    """Batches, counts, totals and the groups of a CR LF file, record by record in plain Python."""
    header, data = layout.kind("header").code, layout.kind("data")
    amount = data.field(layout.extra["amount_field"])
    groups: dict[str, dict[str, list[int]]] = {name: {} for name in layout.extra["summary_by"]}
    batches: list[list[int]] = []
    count = total = 0
    for record in raw.split(b"\r\n"):
        if not record:
            continue
        kind = chr(record[layout.kind_position - 1])
        if kind == header:
            batches.append([0, 0])
        elif kind == data.code:
            value = int(record[amount.slice])
            count += 1
            total += value
            if batches:
                batches[-1][0] += 1
                batches[-1][1] += value
            for name, bucket in groups.items():
                code = record[data.field(name).slice].decode("cp932", "replace").strip()
                slot = bucket.setdefault(code, [0, 0])
                slot[0] += 1
                slot[1] += value
    out: dict[str, Any] = {
        "records": sum(1 for r in raw.split(b"\r\n") if r),
        "batches": [tuple(b) for b in batches],
        "data_records": count,
        "total_amount": total,
    }
    for name, bucket in groups.items():
        out[f"by_{name}"] = {code: {"count": c, "amount": a} for code, (c, a) in bucket.items()}
    return out


def comparable(summary: dict[str, Any], layout: Layout) -> dict[str, Any]:
    out: dict[str, Any] = {
        "records": summary["records"],
        "batches": [(b["count"], b["amount"]) for b in summary["batch_list"]],
        "data_records": summary["data_records"],
        "total_amount": summary["total_amount"],
    }
    for name in layout.extra["summary_by"]:
        groups = summary[f"by_{name}"]
        assert list(groups) == sorted(groups), name
        out[f"by_{name}"] = groups
    return out


def multi_batch(parts: Sequence[bytes]) -> bytes:
    """One file of the batches of several generated files: their end records dropped, one at the end."""
    records = [r for raw in parts for r in raw.split(b"\r\n") if r and r[:1] != b"9"]
    end = parts[-1].split(b"\r\n")[-2]
    return b"".join(r + b"\r\n" for r in [*records, end])


@st.composite
def debit_files(draw: st.DrawFn) -> bytes:
    """A valid debit file (request or result) of one to three batches of generated payers."""
    result = draw(st.booleans())
    batches = draw(st.lists(st.tuples(st.integers(0, 2**31), st.integers(0, 40)), min_size=1, max_size=3))
    return multi_batch([sample.generate("zengin-debit", n, seed=seed, result=result)[0] for seed, n in batches])


@pytest.mark.parametrize("result", [False, True], ids=["request", "result"])
def test_the_generated_multi_batch_debit_files_are_valid(result: bool) -> None:
    raw = multi_batch([sample.generate("zengin-debit", n, seed=n, result=result)[0] for n in (5, 0, 7)])
    report = zengin_debit.validate(raw)
    assert report.error_count == 0, [str(i) for i in report.errors[:5]]
    assert [count for count, _ in reference_summary(raw, DEBIT)["batches"]] == [5, 0, 7]


@FUZZ
@given(raw=debit_files(), layout=st.sampled_from([DEBIT, WIDE]), block=st.integers(1, 40))
def test_summary_grouping_equals_a_plain_python_reference(raw: bytes, layout: Layout, block: int) -> None:
    expected = reference_summary(raw, layout)
    assert comparable(summarise(io.BytesIO(raw), layout), layout) == expected
    # in small blocks too, so that headers fall inside blocks and batches span them
    report = Report()
    reader = RecordReader(io.BytesIO(raw), layout.record_length, report, block_records=block)
    summariser = Summariser(layout)
    for piece in reader.blocks():
        summariser.add(piece)
    assert report.error_count == 0
    assert comparable(summariser.result(reader.records), layout) == expected


#: bytes a valid file may hold in a C field: spaces, digits, capitals, symbols, half-width kana
CODE_BYTES = b" 0123456789ABCXYZ()-./\xb1\xb2\xb3\xdf"


@st.composite
def code_columns(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, Field]:
    """A column of codes (n × width bytes, drawn from a small pool so that codes repeat) and amounts."""
    width = draw(st.integers(1, 8))
    alphabet = draw(st.sampled_from([b"0123456789", b"0123", CODE_BYTES]))
    code = st.binary(min_size=width, max_size=width).map(lambda b: bytes(alphabet[x % len(alphabet)] for x in b))
    pool = draw(st.lists(code, min_size=1, max_size=12))
    rows = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=300))
    top = draw(st.sampled_from([9, 99_999, 9_999_999_999, 10**15]))  # 10**15: sums past 2**53
    values = draw(st.lists(st.integers(0, top), min_size=len(rows), max_size=len(rows)))
    column = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), width).copy()
    f = Field("code", 1, width, "C", "コード")
    return column, np.array(values, dtype=np.int64), f


@FUZZ
@given(code_columns())
def test_groups_equal_a_dict_reference_for_digit_and_other_codes(found: tuple[np.ndarray, np.ndarray, Field]) -> None:
    column, values, f = found
    expected: dict[str, list[int]] = {}
    for row, value in zip(column, values.tolist(), strict=True):
        slot = expected.setdefault(bytes(row).decode("cp932", "replace").strip(), [0, 0])
        slot[0] += 1
        slot[1] += value
    got: dict[str, list[int]] = {}
    for code, count, amount in _groups(column, f, values):
        assert isinstance(count, int) and isinstance(amount, int)
        slot = got.setdefault(code, [0, 0])
        slot[0] += count
        slot[1] += amount
    assert got == expected


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_groups_of_small_digit_codes_are_exact_and_name_each_code_once_in_order(width: int) -> None:
    rng = np.random.default_rng(width)
    column = rng.integers(48, 58, size=(5000, width), dtype=np.uint8)
    values = rng.integers(0, 10**10, size=5000, dtype=np.int64)
    f = Field("code", 1, width, "N", "コード")
    groups = _groups(column, f, values)
    codes = [code for code, _, _ in groups]
    assert codes == sorted(set(codes)) and all(len(c) == width and c.isdigit() for c in codes)
    expected: dict[str, list[int]] = {}
    for row, value in zip(column, values.tolist(), strict=True):
        slot = expected.setdefault(bytes(row).decode(), [0, 0])
        slot[0] += 1
        slot[1] += value
    assert {code: [n, total] for code, n, total in groups} == expected
    assert sum(n for _, n, _ in groups) == 5000 and sum(t for _, _, t in groups) == int(values.sum())


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_parsed_files_summary_is_the_streamed_summary(fmt: str) -> None:
    raw, _ = sample.generate(fmt, 300, seed=5, result=fmt == "zengin-debit")
    layout = FORMATS[fmt].LAYOUT
    parsed, streamed = check_and_summarise(io.BytesIO(raw), layout)
    assert parsed.report.error_count == 0
    assert streamed == summarise(io.BytesIO(raw), layout)
    whole = summary(FORMATS[fmt].parse(raw))
    assert (whole["mode"], whole["errors"], whole["warnings"]) == (parsed.mode, 0, 0)
    del streamed["batch_list"]
    assert {k: v for k, v in whole.items() if k not in ("mode", "errors", "warnings")} == streamed


@pytest.mark.parametrize("fmt", ["mpn-receipt", "general-receipt", "special-receipt", "special-breakdown"])
def test_collection_data_summary_carries_its_first_and_last_payment_date(fmt: str) -> None:
    raw, _ = sample.generate(fmt, 120, seed=11)
    days = sorted(FORMATS[fmt].parse(raw).tables["data"]["payment_date"].to_pylist())
    first, last = days[0], days[-1]
    expected = [f"{first[:4]}-{first[4:6]}-{first[6:]}", f"{last[:4]}-{last[4:6]}-{last[6:]}"]
    assert summarise(io.BytesIO(raw), FORMATS[fmt].LAYOUT)["payment_dates"] == expected


def test_a_debit_file_has_no_payment_dates() -> None:
    raw, _ = sample.generate("zengin-debit", 20, seed=2)
    assert "payment_dates" not in summarise(io.BytesIO(raw), DEBIT)
