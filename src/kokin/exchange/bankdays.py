"""Bank business days (銀行営業日): not a weekend, not a national holiday, not 12/31–1/3.

National holidays (国民の祝日, 振替休日, 国民の休日) come from the ``holidays`` package, which follows
the Cabinet Office's list. The three days around New Year are bank holidays by 銀行法施行令 第5条.

>>> import datetime as dt
>>> is_business_day(dt.date(2026, 5, 6))   # 振替休日
False
>>> is_business_day(dt.date(2026, 5, 7))
True
>>> next_occurrence("0105", today=dt.date(2026, 12, 20))
datetime.date(2027, 1, 5)
>>> business_days_between(dt.date(2026, 5, 1), dt.date(2026, 5, 8))  # 5/7 and 5/8
2
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=[year], language="ja")


def holiday_name(day: dt.date) -> str:
    """Why ``day`` is not a business day, in Japanese ("" if it is one)."""
    if (day.month, day.day) in ((12, 31), (1, 1), (1, 2), (1, 3)):
        return "年末年始 (12月31日～1月3日) の銀行休業日"
    name = _holidays(day.year).get(day)
    if name:
        return f"祝日 ({name})"
    if day.weekday() == 5:
        return "土曜日"
    if day.weekday() == 6:
        return "日曜日"
    return ""


def is_business_day(day: dt.date) -> bool:
    return holiday_name(day) == ""


def business_days_between(start: dt.date, end: dt.date) -> int:
    """How many business days fall after ``start`` and on or before ``end``."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        count += is_business_day(day)
        day += dt.timedelta(days=1)
    return count


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th business day after ``start``."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        days -= is_business_day(day)
    return day


def next_occurrence(mmdd: str, *, today: dt.date) -> dt.date:
    """The first date on or after ``today`` with month and day ``mmdd`` (a Zengin 引落日).

    29 February in a year without it moves on to the next leap year. ValueError if ``mmdd`` is no date.
    """
    month, day = int(mmdd[:2]), int(mmdd[2:4])
    for year in range(today.year, today.year + 9):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            if month == 2 and day == 29:
                continue
            raise
        if candidate >= today:
            return candidate
    raise ValueError(f"{mmdd!r} is not a month and day")
