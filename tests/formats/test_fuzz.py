"""Fuzzing: whatever the bytes, the parser reports faults and raises nothing but FormatError.

``parse`` and ``validate`` never raise on file content (every fault goes into the report);
``iter_records`` raises only :class:`FormatError`; ``detect`` never raises.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.formats import detect
from kokin.formats.engine import run
from kokin.formats.errors import FormatError, FormatIssue, Report
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, batch, payer

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID = [
    zengin_debit.build([batch(3), batch(0)]),
    zengin_debit.build([batch(2)], separator="none", eof_mark=True),
    zengin_debit.build([batch(2, header={**HEADER, "code_division": "1"})]),
    zengin_debit.build([{"header": HEADER, "records": [payer(0, result_code="1"), payer(1)]}], result=True),
]
#: bytes that matter to the framing and the checks
SPECIAL = st.sampled_from([b"\r", b"\n", b"\r\n", b"\x1a", b"\xf1", b"\x81", b"\x82\xa0", b"\xff", b" ", b"1", b"9"])


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes overwritten, inserted or deleted."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(SPECIAL | st.binary(min_size=1, max_size=3))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 3))]
        elif op == "truncate":
            del data[at:]
    return bytes(data)


anything = st.binary(max_size=600) | damaged() | st.lists(SPECIAL | st.binary(max_size=130), max_size=8).map(b"".join)


def assert_well_formed(report: Report) -> None:
    for issue in report.errors + report.warnings:
        assert isinstance(issue, FormatIssue)
        assert issue.field and issue.message_en and issue.message_ja
        assert issue.record is None or issue.record >= 1
    assert report.error_count == len(report.errors)


@FUZZ
@given(anything)
def test_parse_never_raises_and_reports_with_record_numbers(data: bytes) -> None:
    parsed = zengin_debit.parse(data)
    assert_well_formed(parsed.report)
    parsed.batches()
    zengin_debit.summary(parsed)


@FUZZ
@given(anything)
def test_validate_never_raises(data: bytes) -> None:
    assert_well_formed(zengin_debit.validate(data))


@FUZZ
@given(anything, st.sampled_from([1, 2, 5]))
def test_validation_in_small_blocks_never_raises_and_agrees(data: bytes, block_records: int) -> None:
    one = run(zengin_debit.LAYOUT, io.BytesIO(data))
    small = run(zengin_debit.LAYOUT, io.BytesIO(data), block_records=block_records)
    assert sorted(map(str, small.report.errors)) == sorted(map(str, one.report.errors))


@FUZZ
@given(anything)
def test_iter_records_raises_only_format_error(data: bytes) -> None:
    try:
        for record in zengin_debit.iter_records(data):
            assert record["record_kind"] in ("header", "data", "trailer", "end")
    except FormatError as exc:
        assert exc.issues and all(isinstance(i, FormatIssue) for i in exc.issues)


@FUZZ
@given(anything)
def test_detect_never_raises(data: bytes) -> None:
    name, reason = detect(data[:4096])
    assert name in (None, "zengin-debit") and reason


@FUZZ
@given(damaged())
def test_damaged_file_that_still_validates_can_be_walked_record_by_record(data: bytes) -> None:
    report = zengin_debit.validate(data)
    if report.ok:
        # still valid: it reads back as whole records of known kinds
        assert all(r["record_kind"] for r in zengin_debit.iter_records(data))
