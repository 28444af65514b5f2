"""The bank link's ``Range`` parser (:mod:`kokin.banklink.ranges`): any header string gives a span or
:class:`~kokin.banklink.ranges.Unsatisfiable`, never another exception; a valid range round-trips."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kokin.banklink.ranges import Unsatisfiable, parse

sizes = st.integers(min_value=1, max_value=10**12)
#: header-like text: the characters ranges are made of, mixed with anything Latin-1 (what a header carries)
headers = st.one_of(
    st.text(st.sampled_from("bytesBYTES=-,0123456789 \t+;*"), max_size=40),
    st.text(st.characters(max_codepoint=0xFF), max_size=40),
    st.builds(lambda a, b: f"bytes={a}-{b}", st.text("0123456789-+ ", max_size=30), st.text("0123456789", max_size=30)),
)


@given(header=headers, size=sizes)
@example(header="bytes=" + "9" * 5000 + "-", size=10)
@example(header="bytes=0-" + "9" * 5000, size=10)
@example(header="bytes=-" + "9" * 5000, size=10)
@example(header="bytes=" + "0" * 5000 + "1-", size=10)
@example(header="bytes=\u0661-", size=10)  # an Arabic-Indic digit: int() would take it
def test_any_header_gives_a_span_inside_the_file_or_unsatisfiable(header: str, size: int) -> None:
    try:
        span = parse(header, size)
    except Unsatisfiable:
        return
    if span is None:
        assert header == ""
        return
    first, last = span
    assert 0 <= first <= last < size


@given(size=sizes, data=st.data())
def test_a_first_last_range_round_trips(size: int, data: st.DataObject) -> None:
    first = data.draw(st.integers(0, size - 1))
    last = data.draw(st.integers(first, size * 2))
    zeros = "0" * data.draw(st.integers(0, 3))
    unit = data.draw(st.sampled_from(["bytes", "Bytes", "BYTES"]))
    assert parse(f"{unit}={zeros}{first}-{last}", size) == (first, min(last, size - 1))
    assert parse(f"bytes={first}-", size) == (first, size - 1)


@given(size=sizes, suffix=st.integers(1, 10**15))
def test_a_suffix_range_round_trips(size: int, suffix: int) -> None:
    assert parse(f"bytes=-{suffix}", size) == (max(0, size - suffix), size - 1)


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",  # a start far past the end
        "bytes=10-",  # a start at the end
        "bytes=5-4",  # reversed
        "bytes=0-1,3-4",  # several ranges
        "bytes=-0",  # an empty suffix
        "bytes=-",
        "bytes=--5",  # negative
        "bytes=-5-",
        "bytes=+1-",
        "bytes=1",
        "items=0-1",  # another unit
        "bytes 0-1",
        "garbage",
        "bytes=\u0661-",
    ],
)
def test_malformed_or_unsatisfiable_ranges_are_refused(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse(header, 10)


def test_no_header_is_the_whole_file() -> None:
    assert parse("", 10) is None


def test_huge_last_or_suffix_means_to_the_end_as_rfc_9110_says() -> None:
    assert parse("bytes=3-" + "9" * 5000, 10) == (3, 9)
    assert parse("bytes=-" + "9" * 5000, 10) == (0, 9)
