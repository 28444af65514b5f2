"""Working hours (執務時間) per department, for the rule on use outside them: pure, no Django.

A department works on its ``weekdays`` (ISO numbers, 1 Monday … 7 Sunday) from ``start`` to ``end``
(local time, ``end`` not included). With ``closed_on_holidays`` the national holidays (国民の祝日,
振替休日, 国民の休日: the ``holidays`` package, as the bank calendar uses) and the year-end and New Year
days 12/29–1/3 (地方公共団体の休日, 地方自治法 第4条の2) are closed whatever the weekday.

>>> hours = Hours(start=dt.time(8, 30), end=dt.time(17, 15))
>>> hours.outside(dt.datetime(2026, 12, 7, 9, 0))   # a Monday morning
''
>>> hours.outside(dt.datetime(2026, 12, 7, 18, 0))
'執務時間 (8:30～17:15) の外'
>>> hours.outside(dt.datetime(2026, 12, 29, 10, 0))
'閉庁日 (年末年始 12月29日～1月3日)'
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass

import holidays

#: 地方自治法 第4条の2 第1項第3号: the year-end and New Year days most wards close on by ordinance
YEAR_END = {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
WEEKDAY_NAMES = "月火水木金土日"


@functools.lru_cache(maxsize=16)
def _holidays(year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("JP", years=[year], language="ja"))


@dataclass(frozen=True)
class Hours:
    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(19, 0)
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    closed_on_holidays: bool = True

    def closed(self, day: dt.date) -> str:
        """Why the department is closed on ``day`` (Japanese), "" when it is open."""
        if self.closed_on_holidays:
            if (day.month, day.day) in YEAR_END:
                return "閉庁日 (年末年始 12月29日～1月3日)"
            if name := _holidays(day.year).get(day):
                return f"閉庁日 (祝日: {name})"
        if day.isoweekday() not in self.weekdays:
            return f"閉庁日 ({WEEKDAY_NAMES[day.weekday()]}曜日)"
        return ""

    def outside(self, moment: dt.datetime) -> str:
        """Why ``moment`` (local time) is outside the working hours (Japanese), "" when inside."""
        if reason := self.closed(moment.date()):
            return reason
        if not (self.start <= moment.time() < self.end):
            return f"執務時間 ({self.span()}) の外"
        return ""

    def span(self) -> str:
        return f"{_clock(self.start)}～{_clock(self.end)}"


def _clock(moment: dt.time) -> str:
    return "24:00" if moment == dt.time.max else f"{moment.hour}:{moment.minute:02d}"
