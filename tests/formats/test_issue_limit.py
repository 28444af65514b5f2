"""A file full of faults: the report lists ``max_issues`` errors (and as many warnings), counts every
other one exactly, and stays small; ``kokin validate`` says how many more there are."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.cli import main
from kokin.formats.errors import ISSUE_LIMIT
from kokin.formats.kinds import zengin_debit
from support.records import batch, request_file

RECORD = 122  # 120 bytes and CR LF


def garbage_file(n: int, fill: bytes = b"\xff" * 120) -> bytes:
    """A valid header, ``n`` records of ``fill`` and the valid trailer and end record."""
    raw = request_file(n)
    return raw[:RECORD] + (fill + b"\r\n") * n + raw[RECORD + n * RECORD :]


def test_a_file_with_more_faults_than_the_limit_lists_the_limit_and_counts_the_rest_exactly() -> None:
    n = 5000
    raw = garbage_file(n)
    everything = zengin_debit.validate(raw, max_issues=None)
    # each 0xFF record has an unknown 区分; the trailer's count and total do not match what was read
    assert Counter(i.code for i in everything.errors) == {"allowed": n, "total": 2}
    limited = zengin_debit.validate(raw, max_issues=300)
    assert len(limited.errors) == 300 and not limited.warnings
    assert limited.error_count == n + 2 and limited.omitted == n + 2 - 300
    assert limited.errors == everything.errors[:300]  # the first ones, as found


def test_every_field_faulty_in_every_record_is_counted_exactly_across_blocks() -> None:
    raw = garbage_file(3000, b"2" + b"\xff" * 119)  # a data record whose every field is wrong
    everything = zengin_debit.parse(raw, max_issues=None)
    assert everything.report.error_count > 10 * 3000 and everything.report.warning_count >= 3000
    for limit in (1, 700, ISSUE_LIMIT):
        report = zengin_debit.validate(raw, max_issues=limit)
        assert len(report.errors) == min(limit, everything.report.error_count)
        assert len(report.warnings) == min(limit, everything.report.warning_count)
        assert (report.error_count, report.warning_count) == (
            everything.report.error_count,
            everything.report.warning_count,
        )
        assert report.omitted == everything.report.error_count + everything.report.warning_count - len(
            report.errors
        ) - len(report.warnings)


def test_the_default_limit_bounds_a_file_full_of_faults() -> None:
    n = ISSUE_LIMIT + 500
    report = zengin_debit.validate(garbage_file(n))
    assert len(report.errors) == ISSUE_LIMIT and report.error_count == n + 2 and report.omitted == 502


@st.composite
def faulty(draw: st.DrawFn) -> bytes:
    """A valid file of 40 records with random bytes written over random places."""
    data = bytearray(request_file(40))
    for _ in range(draw(st.integers(1, 60))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.sampled_from([0xFF, 0x41, 0x20, 0x30, 0x0D, 0x32]))
    return bytes(data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(faulty(), st.integers(1, 30), st.sampled_from([7, 16384]))
def test_a_limited_report_is_the_start_of_the_full_one_with_the_same_counts(raw: bytes, limit: int, block: int) -> None:
    from io import BytesIO

    from kokin.formats.engine import run

    full = run(zengin_debit.LAYOUT, BytesIO(raw), max_issues=None, block_records=block).report
    cut = run(zengin_debit.LAYOUT, BytesIO(raw), max_issues=limit, block_records=block).report
    assert (cut.error_count, cut.warning_count) == (full.error_count, full.warning_count)
    assert cut.errors == full.errors[:limit] and cut.warnings == full.warnings[:limit]
    assert cut.omitted == len(full.errors) + len(full.warnings) - len(cut.errors) - len(cut.warnings)


def test_cli_validate_lists_the_limit_and_says_how_many_more(tmp_path: Path) -> None:
    path = tmp_path / "ff.dat"
    path.write_bytes(garbage_file(2000))
    result = CliRunner().invoke(
        main, ["validate", str(path), "--format", "zengin-debit", "--issue-limit", "50", "--json"]
    )
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["errors"] == 2002 and len(out["issues"]) == 50 and out["omitted"] == 1952
    assert len(result.stdout) < 50 * 400  # bounded by the limit, not by the file
    text = CliRunner().invoke(main, ["validate", str(path), "--format", "zengin-debit", "--issue-limit", "50"])
    assert text.exit_code == 1
    assert "... ほか 1,952 件 / 1,952 more" in text.stderr
    assert text.stderr.count("ERROR ") == 50
    assert "エラー 2002 件" in text.stdout


def test_counts_by_code_include_the_issues_beyond_the_limit() -> None:
    raw = zengin_debit.build([batch(40, bank_code="9899")])  # a bank the master does not know
    report = zengin_debit.validate(raw, max_issues=5)
    assert report.ok and len(report.warnings) == 5 and report.warning_count == 40
    assert report.by_code == {"unknown_code": 40}
