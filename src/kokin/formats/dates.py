"""Dates in bank files: Western (YYYYMMDD, MMDD) and Japanese era (和暦) styles, checked in bulk.

Styles (a field's ``date`` attribute):

* ``yyyymmdd`` — Western date, 8 digits;
* ``mmdd`` — month and day (Zengin debit date), February 29 allowed;
* ``wareki`` — era code + YYMMDD, 7 digits: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和; the date must
  fall inside the era (平成31年4月30日 exists, 平成31年5月1日 does not);
* ``fiscal_year`` — 調定年度 as a Western year, 4 digits (April–March);
* ``wareki_year`` — 年度 as era code + YY, 3 digits.

>>> to_western("5070527")
datetime.date(2025, 5, 27)
>>> wareki_text(to_western("20250527"))
'令和7年5月27日'
>>> fiscal_year_of(to_western("20260315"))
2025
"""

from __future__ import annotations

import datetime as dt

import numpy as np

#: era code → (kanji, first day)
ERAS: dict[int, tuple[str, dt.date]] = {
    1: ("明治", dt.date(1868, 1, 25)),
    2: ("大正", dt.date(1912, 7, 30)),
    3: ("昭和", dt.date(1926, 12, 25)),
    4: ("平成", dt.date(1989, 1, 8)),
    5: ("令和", dt.date(2019, 5, 1)),
}
LENGTHS = {"yyyymmdd": 8, "mmdd": 4, "wareki": 7, "fiscal_year": 4, "wareki_year": 3}
DESCRIPTIONS = {
    "yyyymmdd": ("年月日 (YYYYMMDD)", "date (YYYYMMDD)"),
    "mmdd": ("月日 (MMDD)", "month and day (MMDD)"),
    "wareki": ("和暦の年月日 (元号コード+YYMMDD)", "Japanese-era date (era code + YYMMDD)"),
    "fiscal_year": ("年度 (YYYY)", "fiscal year (YYYY)"),
    "wareki_year": ("和暦の年度 (元号コード+YY)", "Japanese-era fiscal year (era code + YY)"),
}
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_ERA_BASE = np.array([0] + [start.year - 1 for _, start in ERAS.values()], dtype=np.int64)


def _ymd(date: dt.date) -> int:
    return date.year * 10000 + date.month * 100 + date.day


_ERA_FIRST = np.array([0] + [_ymd(start) for _, start in ERAS.values()], dtype=np.int64)
_ERA_LAST = np.array([0] + [_ymd(start) - 1 for _, start in list(ERAS.values())[1:]] + [99991231], dtype=np.int64)


def _digits(col: np.ndarray) -> np.ndarray:
    out = np.zeros(col.shape[0], dtype=np.int64)
    for j in range(col.shape[1]):
        out = out * 10 + (col[:, j].astype(np.int64) - 48)
    return out


def _real(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = np.take(_DAYS, m, mode="clip") - ((m == 2) & ~leap)
    return np.asarray((m >= 1) & (m <= 12) & (d >= 1) & (d <= days))


#: by month × 100 + day: a day that exists in some year (29 February included)
_MONTH_DAY = np.zeros(10000, dtype=np.bool_)
for _m in range(1, 13):
    _MONTH_DAY[_m * 100 + 1 : _m * 100 + int(_DAYS[_m]) + 1] = True


def _month_day(m: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.asarray((m >= 1) & (m <= 12) & (d >= 1) & (d <= np.take(_DAYS, m, mode="clip")))


def _wareki(era: np.ndarray, yy: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    known = (era >= 1) & (era <= len(ERAS))
    e = np.where(known, era, 0)
    y = _ERA_BASE[e] + yy
    ymd = y * 10000 + m * 100 + d
    return np.asarray(known & (yy >= 1) & _real(y, m, d) & (ymd >= _ERA_FIRST[e]) & (ymd <= _ERA_LAST[e]))


def _wareki_year(era: np.ndarray, yy: np.ndarray, last_fiscal_year: int) -> np.ndarray:
    known = (era >= 1) & (era <= len(ERAS))
    e = np.where(known, era, 0)
    y = _ERA_BASE[e] + yy
    # 年度 of an era runs from its first year to the year the next era began
    return np.asarray(known & (yy >= 1) & (y <= (_ERA_LAST[e] // 10000)) & (y <= last_fiscal_year))


def check(style: str, col: np.ndarray, *, today: dt.date | None = None, value: np.ndarray | None = None) -> np.ndarray:
    """Rows (n × width ASCII digits) that hold a real date of ``style``; rows must be digits already.

    ``value``, when given, is ``col`` read as one number per row (the caller has it already): the
    parts are then cut out of it by division instead of being read digit by digit again.
    """
    today = today or dt.date.today()
    last_fiscal_year = fiscal_year_of(today) + 1
    if value is not None and col.shape[1] == LENGTHS.get(style):
        # rows that are not digits give garbage either way: the caller masks them out
        if style == "fiscal_year":
            return np.asarray((value >= 1989) & (value <= last_fiscal_year))
        if style == "wareki_year":
            return _wareki_year(value // 100, value % 100, last_fiscal_year)
        if style == "mmdd":
            return np.take(_MONTH_DAY, value, mode="clip")
        if style == "yyyymmdd":
            # one table lookup for month and day; only 29 February asks for the year's arithmetic
            md, y = value % 10000, value // 10000
            good = np.take(_MONTH_DAY, md, mode="clip") & (y >= 1868)
            feb29 = md == 229
            if feb29.any():
                good &= ~feb29 | ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
            return np.asarray(good)
        if style == "wareki":
            return _wareki(value // 1000000, value // 10000 % 100, value // 100 % 100, value % 100)
    if style == "mmdd":
        return _month_day(_digits(col[:, 0:2]), _digits(col[:, 2:4]))
    if style == "yyyymmdd":
        y, m, d = _digits(col[:, 0:4]), _digits(col[:, 4:6]), _digits(col[:, 6:8])
        return _real(y, m, d) & (y >= 1868)
    if style == "wareki":
        return _wareki(_digits(col[:, 0:1]), _digits(col[:, 1:3]), _digits(col[:, 3:5]), _digits(col[:, 5:7]))
    if style == "fiscal_year":
        y = _digits(col)
        return np.asarray((y >= 1989) & (y <= last_fiscal_year))
    if style == "wareki_year":
        return _wareki_year(_digits(col[:, 0:1]), _digits(col[:, 1:3]), last_fiscal_year)
    raise ValueError(f"unknown date style {style!r}")


def to_western(text: str) -> dt.date:
    """A YYYYMMDD or era+YYMMDD string as a date (ValueError if it is not one)."""
    if len(text) == 8:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    if len(text) == 7 and int(text[0]) in ERAS:
        _, start = ERAS[int(text[0])]
        date = dt.date(start.year - 1 + int(text[1:3]), int(text[3:5]), int(text[5:7]))
        if date < start:
            raise ValueError(f"{text} is before the era began")
        return date
    raise ValueError(f"{text!r} is not a date")


def era_of(date: dt.date) -> tuple[int, str, int]:
    """(era code, era name, year of the era) for a date."""
    for code in sorted(ERAS, reverse=True):
        name, start = ERAS[code]
        if date >= start:
            return code, name, date.year - start.year + 1
    raise ValueError(f"{date} is before 明治")


def to_wareki(date: dt.date) -> str:
    """The 7-digit era+YYMMDD form."""
    code, _, year = era_of(date)
    return f"{code}{year:02d}{date.month:02d}{date.day:02d}"


def wareki_text(date: dt.date) -> str:
    """令和7年5月27日 (元年 for the first year), for screens and reports."""
    _, name, year = era_of(date)
    return f"{name}{'元' if year == 1 else year}年{date.month}月{date.day}日"


def fiscal_year_of(date: dt.date) -> int:
    """The Japanese fiscal year (April–March) a date falls in."""
    return date.year if date.month >= 4 else date.year - 1
