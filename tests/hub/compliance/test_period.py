"""The period of a report: a month given as YYYY-MM or two days, refused with the field, the value and the
reason in Japanese and English; labelled with the Japanese era beside the Western date."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kokin.compliance import period
from kokin.compliance.errors import PeriodError
from kokin.compliance.period import Period, check_started, month, parse_day, parse_month


def test_a_month_is_labelled_with_its_japanese_era() -> None:
    november = parse_month("2026-11")
    assert (november.start, november.end) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert november.is_month
    assert november.label == "2026年11月 (令和8年11月)"
    assert november.file_stem == "2026-11"
    assert november.days_label == "2026-11-01 (令和8年11月1日) 〜 2026-11-30 (令和8年11月30日) (30 日間)"


def test_the_first_year_of_an_era_is_gannen_and_the_era_changes_with_the_month() -> None:
    assert parse_month("2019-05").label == "2019年5月 (令和元年5月)"
    assert parse_month("2019-04").label == "2019年4月 (平成31年4月)"
    assert parse_month("2028-02").end == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "ja", "en"),
    [
        ("2026-13", "月は 1〜12 です", "the month must be 1 to 12"),
        ("2026-00", "月は 1〜12 です", "the month must be 1 to 12"),
        ("abc", "年-月 (YYYY-MM、例 2026-11) で指定してください", "give it as YYYY-MM (e.g. 2026-11)"),
        ("2026/11", "年-月 (YYYY-MM、例 2026-11) で指定してください", "give it as YYYY-MM (e.g. 2026-11)"),
        ("", "年-月 (YYYY-MM、例 2026-11) で指定してください", "give it as YYYY-MM (e.g. 2026-11)"),
    ],
)
def test_a_bad_month_names_the_field_the_value_and_the_reason_in_both_languages(text: str, ja: str, en: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_month(text)
    assert caught.value.message_ja == f"月 (--month) の「{text}」: {ja}"
    assert caught.value.message_en == f"month (--month) {text!r}: {en}"


def test_any_run_of_days_is_a_period_but_not_one_that_ends_before_it_starts() -> None:
    first = parse_day("2026-11-03", field="期間の始め", field_en="start")
    last = parse_day("2026-11-17", field="期間の終わり", field_en="end")
    span = Period(first, last)
    assert not span.is_month
    assert span.label == "2026-11-03 (令和8年11月3日) 〜 2026-11-17 (令和8年11月17日)"
    assert span.file_stem == "2026-11-03_2026-11-17"
    with pytest.raises(PeriodError, match="期間の終わり \\(2026-11-03\\) が始め \\(2026-11-17\\) より前です"):
        Period(last, first)
    with pytest.raises(PeriodError) as caught:
        parse_day("2026-02-30", field="期間の始め (--from)", field_en="start (--from)")
    assert "期間の始め (--from) の「2026-02-30」: 実在する年月日" in caught.value.message_ja
    assert "start (--from) '2026-02-30': give a real date" in caught.value.message_en


def test_a_period_that_has_not_begun_cannot_be_reported() -> None:
    check_started(month(2026, 11), today=dt.date(2026, 11, 1))
    with pytest.raises(PeriodError, match="報告できるのは始まった期間だけです"):
        check_started(month(2026, 12), today=dt.date(2026, 11, 30))


@given(st.integers(min_value=1900, max_value=2200), st.integers(min_value=1, max_value=12))
def test_every_month_covers_exactly_its_days(year: int, number: int) -> None:
    found = parse_month(f"{year}-{number:02d}")
    assert found == parse_month(f"{year}-{number}")
    assert (found.start.year, found.start.month, found.start.day) == (year, number, 1)
    after = found.end + dt.timedelta(days=1)
    assert after.day == 1 and (after.month - number) % 12 == 1
    assert found.is_month and parse_month(found.file_stem) == found
    assert f"{year}年{number}月 (" in found.label


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(period).failed == 0
