"""The bank calendar as indices, and when an instalment can be paid.

Business days from :data:`CALENDAR_FIRST` to :data:`CALENDAR_LAST` are numbered; the simulator
works on these indices. :func:`support` is the payment-day distribution of one instalment, from the
ward's billing calendar (:func:`kokin.formats.synth.payment_weight`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

from kokin.formats import synth as sample
from kokin.formats.bankdays import is_business_day

#: share of an item's instalments never paid (滞納 that is never cleared); employers almost always pay
NEVER_PAID = {"02": 0.01, "31": 0.0}
NEVER_PAID_DEFAULT = 0.02
ARREARS_YEARS = 5  # 地方税の消滅時効: an assessment is collectable for five years after its fiscal year
CALENDAR_FIRST = dt.date(2010, 1, 1)
CALENDAR_LAST = dt.date(2045, 12, 31)


@functools.cache
def business_days() -> tuple[tuple[dt.date, ...], np.ndarray]:
    """Every bank business day of the calendar's range and their ordinals (sorted)."""
    days = []
    d = CALENDAR_FIRST
    while d <= CALENDAR_LAST:
        if is_business_day(d):
            days.append(d)
        d += dt.timedelta(days=1)
    return tuple(days), np.array([d.toordinal() for d in days], dtype=np.int64)


def day_index(day: dt.date) -> int:
    """Index of the first business day on or after ``day``."""
    ordinals = business_days()[1]
    if not CALENDAR_FIRST <= day <= CALENDAR_LAST - dt.timedelta(days=400):
        raise ValueError(f"{day} is outside the simulator's calendar ({CALENDAR_FIRST} – {CALENDAR_LAST})")
    return int(np.searchsorted(ordinals, day.toordinal()))


def day_at(index: int) -> dt.date:
    return business_days()[0][index]


@dataclass(frozen=True)
class Support:
    """When an instalment can be paid: business days ``start``… and the cumulative chance of each."""

    start: int
    cumulative: np.ndarray  # ends at 1 − the share never paid


@functools.cache
def support(item: str, year: int, instalment: int) -> Support:
    """The payment-day distribution of (item, fiscal year, instalment), from the billing calendar."""
    days = business_days()[0]
    if item == "31":  # a fee is billed and paid in the same year, any business day
        start, end = day_index(dt.date(year, 4, 1)), day_index(dt.date(year + 1, 4, 1)) - 1
        weights = np.ones(end - start + 1)
    else:
        start = day_index(sample.first_payable(item, year, instalment))
        end = day_index(dt.date(year + ARREARS_YEARS + 1, 4, 1)) - 1
        weights = np.array([sample.payment_weight(item, days[i], year, instalment) for i in range(start, end + 1)])
    cumulative = np.cumsum(weights)
    paid = 1.0 - NEVER_PAID.get(item, NEVER_PAID_DEFAULT)
    return Support(start, cumulative / cumulative[-1] * paid)
