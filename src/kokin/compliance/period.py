"""The period a compliance report covers: a calendar month (``2026-11``) or any run of days, both ends
included, in the hub's local time (Asia/Tokyo), with its Japanese label (和暦 beside the Western date).

>>> month = parse_month("2026-11")
>>> month.label
'2026年11月 (令和8年11月)'
>>> month.file_stem
'2026-11'
>>> parse_month("2026-13")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kokin.compliance.errors.PeriodError: 月 (--month) の「2026-13」: 月は 1〜12 です / ...
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

from kokin.compliance.errors import PeriodError
from kokin.formats.dates import era_of, wareki_text

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def day_label(day: dt.date) -> str:
    """2026-11-05 (令和8年11月5日)."""
    return f"{day:%Y-%m-%d} ({wareki_text(day)})"


def when_label(value: dt.datetime) -> str:
    """2026-11-05 10:15:00 (令和8年11月5日), in local time."""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M:%S} ({wareki_text(local.date())})"


def month_wareki(day: dt.date) -> str:
    """令和8年11月 (元年 for the first year of an era) for the month ``day`` falls in."""
    _, name, year = era_of(day)
    return f"{name}{'元' if year == 1 else year}年{day.month}月"


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(
                f"期間の終わり ({self.end}) が始め ({self.start}) より前です",
                f"the period ends ({self.end}) before it starts ({self.start})",
            )

    @property
    def is_month(self) -> bool:
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        return self.start.day == 1 and self.end == self.start.replace(day=last)

    @property
    def since(self) -> dt.datetime:
        """The first instant of the period (local midnight of ``start``)."""
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period (local midnight after ``end``): ``since <= t < until``."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月 ({month_wareki(self.start)})"
        return f"{day_label(self.start)} 〜 {day_label(self.end)}"

    @property
    def days_label(self) -> str:
        return f"{day_label(self.start)} 〜 {day_label(self.end)} ({(self.end - self.start).days + 1} 日間)"

    @property
    def file_stem(self) -> str:
        """The period in a file name: ``2026-11`` for a month, ``2026-11-01_2026-11-15`` otherwise."""
        if self.is_month:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"

    def contains(self, value: dt.datetime) -> bool:
        return self.since <= value < self.until


def month(year: int, number: int) -> Period:
    first = dt.date(year, number, 1)
    return Period(first, first.replace(day=calendar.monthrange(year, number)[1]))


def parse_month(text: str, *, field: str = "月 (--month)", field_en: str = "month (--month)") -> Period:
    """``YYYY-MM`` as the whole month; :class:`PeriodError` naming the field, the value and the reason."""
    value = text.strip()
    found = _MONTH.match(value)
    if found is None:
        raise PeriodError(
            f"{field} の「{value}」: 年-月 (YYYY-MM、例 2026-11) で指定してください",
            f"{field_en} {value!r}: give it as YYYY-MM (e.g. 2026-11)",
        )
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 12:
        raise PeriodError(
            f"{field} の「{value}」: 月は 1〜12 です",
            f"{field_en} {value!r}: the month must be 1 to 12",
        )
    if year < 1868:
        raise PeriodError(f"{field} の「{value}」: 年が古すぎます", f"{field_en} {value!r}: the year is too early")
    return month(year, number)


def parse_day(text: str, *, field: str, field_en: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; :class:`PeriodError` naming the field, the value and the reason."""
    value = text.strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise PeriodError(
            f"{field} の「{value}」: 実在する年月日 (YYYY-MM-DD、例 2026-11-01) で指定してください",
            f"{field_en} {value!r}: give a real date as YYYY-MM-DD (e.g. 2026-11-01)",
        ) from None
    if day.year < 1868:
        raise PeriodError(f"{field} の「{value}」: 年が古すぎます", f"{field_en} {value!r}: the year is too early")
    return day


def check_started(period: Period, *, today: dt.date | None = None) -> None:
    """A period that has not begun has nothing to report: :class:`PeriodError`."""
    today = today or timezone.localdate()
    if period.start > today:
        raise PeriodError(
            f"期間の始め ({day_label(period.start)}) が本日 ({day_label(today)}) より後です。"
            "報告できるのは始まった期間だけです",
            f"the period starts ({period.start}) after today ({today}): only a period that has begun can be reported",
        )
