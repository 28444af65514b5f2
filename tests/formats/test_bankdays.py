"""The bank-day calendar (:mod:`kokin.formats.bankdays`): weekends, national holidays and 12/31–1/3."""

from __future__ import annotations

import datetime as dt

import pytest

from kokin.formats import bankdays


def test_business_days_know_the_bank_holidays() -> None:
    assert not bankdays.is_business_day(dt.date(2026, 5, 6))  # 振替休日
    assert not bankdays.is_business_day(dt.date(2025, 12, 31)) and not bankdays.is_business_day(dt.date(2026, 1, 2))
    assert bankdays.is_business_day(dt.date(2026, 5, 27))
    assert bankdays.business_days_before(dt.date(2026, 5, 7), 2) == [dt.date(2026, 4, 30), dt.date(2026, 5, 1)]
    assert bankdays.next_business_day(dt.date(2026, 1, 31)) == dt.date(2026, 2, 2)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (dt.date(2026, 1, 1), "年末年始 (12月31日～1月3日) の銀行休業日"),
        (dt.date(2026, 5, 6), "祝日 (振替休日)"),
        (dt.date(2026, 5, 30), "土曜日"),
        (dt.date(2026, 5, 31), "日曜日"),
        (dt.date(2026, 6, 1), ""),
    ],
)
def test_holiday_name_says_why_the_bank_is_closed(day: dt.date, why: str) -> None:
    assert bankdays.holiday_name(day) == why
    assert bankdays.is_business_day(day) == (why == "")


def test_every_day_of_a_decade_agrees_between_the_name_and_the_test() -> None:
    day = dt.date(2020, 1, 1)
    while day < dt.date(2031, 1, 1):
        assert bankdays.is_business_day(day) == (bankdays.holiday_name(day) == ""), day
        day += dt.timedelta(days=1)
