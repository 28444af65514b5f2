"""The lapse rule (:mod:`kokin.training.lapse`), pure: an acknowledgement holds ``days`` days counting its
own day, none made before the rules took effect holds anything, and time only makes things worse."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kokin.training import lapse
from kokin.training.lapse import standing

DAYS = st.integers(min_value=1, max_value=3650)
DATES = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))


@given(effective=DATES, acknowledged=DATES, today=DATES, days=DAYS)
def test_an_acknowledgement_holds_exactly_days_days_from_its_own_day(
    effective: dt.date, acknowledged: dt.date, today: dt.date, days: int
) -> None:
    found = standing(acknowledged=acknowledged, effective_from=effective, days=days, today=today)
    if acknowledged < effective:
        assert found == lapse.Standing(lapsed=True, due=None)
        return
    assert found.due == acknowledged + dt.timedelta(days=days - 1)
    assert found.lapsed == ((today - acknowledged).days >= days)


@given(effective=DATES, today=DATES, days=DAYS)
def test_no_acknowledgement_is_lapsed_with_no_due_date(effective: dt.date, today: dt.date, days: int) -> None:
    assert standing(acknowledged=None, effective_from=effective, days=days, today=today) == lapse.Standing(True, None)


@given(effective=DATES, acknowledged=DATES, today=DATES, days=DAYS, later=st.integers(min_value=0, max_value=5000))
def test_once_lapsed_it_stays_lapsed_as_the_days_pass(
    effective: dt.date, acknowledged: dt.date, today: dt.date, days: int, later: int
) -> None:
    if standing(acknowledged=acknowledged, effective_from=effective, days=days, today=today).lapsed:
        after = today + dt.timedelta(days=later)
        assert standing(acknowledged=acknowledged, effective_from=effective, days=days, today=after).lapsed


@given(effective=DATES, first=DATES, today=DATES, days=DAYS, gap=st.integers(min_value=0, max_value=2000))
def test_a_later_acknowledgement_never_lapses_sooner(
    effective: dt.date, first: dt.date, today: dt.date, days: int, gap: int
) -> None:
    second = first + dt.timedelta(days=gap)
    earlier = standing(acknowledged=first, effective_from=effective, days=days, today=today)
    later = standing(acknowledged=second, effective_from=effective, days=days, today=today)
    assert later.lapsed <= earlier.lapsed


@given(acknowledged=DATES, days=DAYS, shift=st.integers(min_value=1, max_value=2000))
def test_a_new_version_effective_after_the_acknowledgement_lapses_it(
    acknowledged: dt.date, days: int, shift: int
) -> None:
    newer = acknowledged + dt.timedelta(days=shift)
    assert standing(acknowledged=acknowledged, effective_from=newer, days=days, today=newer).lapsed


@given(effective=DATES, acknowledged=DATES, today=DATES, days=DAYS, soon=st.integers(min_value=0, max_value=400))
def test_due_within_is_only_for_an_acknowledgement_that_still_holds(
    effective: dt.date, acknowledged: dt.date, today: dt.date, days: int, soon: int
) -> None:
    found = standing(acknowledged=acknowledged, effective_from=effective, days=days, today=today)
    if found.due_within(today, soon):
        assert not found.lapsed and found.due is not None and 0 <= (found.due - today).days <= soon


def test_the_boundary_days_with_one_year() -> None:
    april = dt.date(2025, 4, 1)
    holds = standing(acknowledged=april, effective_from=april, days=365, today=dt.date(2026, 3, 31))
    assert holds == lapse.Standing(lapsed=False, due=dt.date(2026, 3, 31))
    assert standing(acknowledged=april, effective_from=april, days=365, today=dt.date(2026, 4, 1)).lapsed


def test_zero_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        standing(acknowledged=None, effective_from=dt.date(2025, 4, 1), days=0, today=dt.date(2025, 4, 1))


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(lapse).failed == 0
