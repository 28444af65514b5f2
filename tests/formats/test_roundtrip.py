"""Property tests: build → parse is the identity for any valid record set, and parse → build gives the bytes back."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kokin.formats.charset import ZENGIN_CHARS
from kokin.formats.engine import run
from kokin.formats.framing import CP932_TO_EBCDIC
from kokin.formats.kinds import zengin_debit
from kokin.formats.kinds.zengin_debit import ACCOUNT_TYPES, NEW_CODES, RESULT_CODES

FAST = settings(max_examples=60, deadline=None)
ZENGIN = "".join(sorted(ZENGIN_CHARS))


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def name(n: int) -> st.SearchStrategy[str]:
    """A C field value as parse returns it: Zengin characters, no trailing spaces, at most ``n`` bytes."""
    return st.text(ZENGIN, max_size=n).map(str.rstrip)


def mmdd() -> st.SearchStrategy[str]:
    days = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return st.integers(1, 12).flatmap(lambda m: st.integers(1, days[m - 1]).map(lambda d: f"{m:02d}{d:02d}"))


def header(code_division: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "type_code": st.just("91"),
            "code_division": st.just(code_division),
            "consignor_code": digits(10),
            "consignor_name": name(40),
            "debit_date": mmdd(),
            "bank_code": digits(4),
            "bank_name": name(15),
            "branch_code": digits(3),
            "branch_name": name(15),
            "account_type": st.sampled_from(["1", "2", "9"]),
            "account_number": digits(7),
        }
    )


def record(result: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "bank_code": digits(4),
            "bank_name": name(15),
            "branch_code": digits(3),
            "branch_name": name(15),
            "account_type": st.sampled_from(sorted(ACCOUNT_TYPES)),
            "account_number": digits(7),
            "holder_name": name(30),
            "amount": st.integers(0, 9_999_999_999),
            "new_code": st.sampled_from(sorted(NEW_CODES)),
            "customer_number": digits(20),
            "result_code": st.sampled_from(sorted(RESULT_CODES)) if result else st.just("0"),
        }
    )


@st.composite
def files(draw: st.DrawFn) -> tuple[list[dict[str, Any]], bool, str, bool]:
    """(batches, result, separator, eof_mark): one encoding for the whole file."""
    result = draw(st.booleans())
    code_division = draw(st.sampled_from(["0", "0", "1"]))
    batches = draw(
        st.lists(
            st.fixed_dictionaries({"header": header(code_division), "records": st.lists(record(result), max_size=6)}),
            min_size=1,
            max_size=4,
        )
    )
    return batches, result, draw(st.sampled_from(["crlf", "none"])), draw(st.booleans())


def expected_batches(batches: list[dict[str, Any]], result: bool) -> list[dict[str, Any]]:
    """The input as parse must give it back: data_kind and record numbers added, trailers computed."""
    out = []
    number = 0
    for b in batches:
        number += 1
        head = {"data_kind": "1", **b["header"], "record_number": number}
        records = []
        for r in b["records"]:
            number += 1
            records.append({"data_kind": "2", **r, "record_number": number})
        number += 1
        done = [r["amount"] for r in b["records"] if r["result_code"] == "0"]
        failed = [r["amount"] for r in b["records"] if r["result_code"] != "0"]
        trailer = {
            "data_kind": "8",
            "total_count": len(b["records"]),
            "total_amount": sum(r["amount"] for r in b["records"]),
            "transferred_count": len(done) if result else 0,
            "transferred_amount": sum(done) if result else 0,
            "failed_count": len(failed) if result else 0,
            "failed_amount": sum(failed) if result else 0,
            "record_number": number,
        }
        out.append({"header": head, "records": records, "trailer": trailer})
    return out


def same_dicts(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Equal values and equal key sets; key order is free."""
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert a["header"] == e["header"]
        assert a["records"] == e["records"]
        assert a["trailer"] == e["trailer"]


@FAST
@given(files())
def test_build_then_parse_gives_the_batches_back_with_computed_trailers(
    file: tuple[list[dict[str, Any]], bool, str, bool],
) -> None:
    batches, result, separator, eof_mark = file
    raw = zengin_debit.build(batches, result=result, separator=separator, eof_mark=eof_mark)
    parsed = zengin_debit.parse(raw, check_master=False)
    assert parsed.report.ok, [str(i) for i in parsed.report.errors]
    assert not parsed.report.warnings, [str(i) for i in parsed.report.warnings]
    assert parsed.convention == separator
    assert parsed.ebcdic == (batches[0]["header"]["code_division"] == "1")
    same_dicts(parsed.batches(), expected_batches(batches, result))


@FAST
@given(files())
def test_parse_then_build_gives_the_same_bytes(file: tuple[list[dict[str, Any]], bool, str, bool]) -> None:
    batches, result, separator, eof_mark = file
    raw = zengin_debit.build(batches, result=result, separator=separator, eof_mark=eof_mark)
    parsed = zengin_debit.parse(raw, check_master=False)
    rebuilt = zengin_debit.build(
        parsed.batches(), result=parsed.mode == "result", separator=parsed.convention, eof_mark=eof_mark
    )
    assert rebuilt == raw


@FAST
@given(files())
def test_iter_records_walks_what_parse_decodes(file: tuple[list[dict[str, Any]], bool, str, bool]) -> None:
    batches, result, separator, eof_mark = file
    raw = zengin_debit.build(batches, result=result, separator=separator, eof_mark=eof_mark)
    walked = list(zengin_debit.iter_records(raw))
    decoded = []
    for b in zengin_debit.parse(raw, check_master=False).batches():
        decoded += [{**b["header"], "record_kind": "header"}]
        decoded += [{**r, "record_kind": "data"} for r in b["records"]]  # type: ignore[attr-defined]
        decoded += [{**b["trailer"], "record_kind": "trailer"}]  # type: ignore[dict-item]
    assert walked[:-1] == decoded
    assert walked[-1] == {"data_kind": "9", "record_number": len(walked), "record_kind": "end"}


@settings(max_examples=40, deadline=None)
@given(files(), st.sampled_from([1, 2, 3, 7]))
def test_validation_in_blocks_matches_validation_in_one_block(
    file: tuple[list[dict[str, Any]], bool, str, bool], block_records: int
) -> None:
    batches, result, separator, eof_mark = file
    raw = zengin_debit.build(batches, result=result, separator=separator, eof_mark=eof_mark)
    # break the last batch's trailer total so there is something to find across block boundaries
    stride = 122 if separator == "crlf" else 120
    trailer_at = len(raw.removesuffix(b"\x1a")) - 2 * stride
    nines = b"999999" if batches[0]["header"]["code_division"] == "0" else b"999999".translate(CP932_TO_EBCDIC)
    raw = raw[: trailer_at + 1] + nines + raw[trailer_at + 7 :]
    one = run(zengin_debit.LAYOUT, io.BytesIO(raw), collect=True, check_master=False)
    small = run(zengin_debit.LAYOUT, io.BytesIO(raw), collect=True, check_master=False, block_records=block_records)
    assert [i.field for i in one.report.errors] == ["total_count"]
    assert [str(i) for i in small.report.sorted_issues()] == [str(i) for i in one.report.sorted_issues()]
    assert small.batches() == one.batches()
    assert small.mode == one.mode
