"""Bank business days (銀行営業日): not a weekend, not a national holiday, not 12/31–1/3.

National holidays (国民の祝日, 振替休日, 国民の休日) come from the ``holidays`` package, which follows
the Cabinet Office's list. The three days around New Year are bank holidays by 銀行法施行令 第5条.
The one calendar of kokin: the hub checks debit dates with it, the sample files and the bank
simulator date payments and due dates with it.

>>> import datetime as dt
>>> is_business_day(dt.date(2026, 5, 6))   # 振替休日
False
>>> is_business_day(dt.date(2026, 5, 7))
True
>>> next_occurrence("0105", today=dt.date(2026, 12, 20))
datetime.date(2027, 1, 5)
>>> business_days_between(dt.date(2026, 5, 1), dt.date(2026, 5, 8))  # 5/7 and 5/8
2
>>> next_business_day(dt.date(2026, 1, 31)), business_days_before(dt.date(2026, 5, 7), 2)
(datetime.date(2026, 2, 2), [datetime.date(2026, 4, 30), datetime.date(2026, 5, 1)])
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import holidays

NEW_YEAR = ((12, 31), (1, 1), (1, 2), (1, 3))


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("JP", years=[year], language="ja"))


def holiday_name(day: dt.date) -> str:
    """Why ``day`` is not a business day, in Japanese ("" if it is one)."""
    if (day.month, day.day) in NEW_YEAR:
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
    return day.weekday() < 5 and (day.month, day.day) not in NEW_YEAR and day not in _holidays(day.year)


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


def business_days_before(day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` business days before ``day``, oldest first."""
    out: list[dt.date] = []
    while len(out) < count:
        day -= dt.timedelta(days=1)
        if is_business_day(day):
            out.append(day)
    return out[::-1]


def next_business_day(day: dt.date) -> dt.date:
    """``day`` or, when the bank is closed, the next business day (a due date moves there)."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
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
