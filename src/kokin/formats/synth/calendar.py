"""The ward's billing calendar and amounts: what falls due when, which payments a day holds, how much.

A payment in the collection files (収入済データ) pays one instalment (期別) of one fiscal year (調定年度)
of one revenue item. The model is the ward's billing calendar: when each item's notice goes out and
when each instalment is due (納期限, moved to the next bank business day, :func:`due_date`), and the
weight of (payment date, item, year, instalment) (:func:`payment_weight`) so that payments cluster in
the weeks before a due date, a few come early (前納) or late (with 延滞金, :func:`late_charge`), and a
few pay old years (滞納繰越分). Payment dates are bank business days (no Saturdays, Sundays, national
holidays or 12/31–1/3: :mod:`kokin.formats.bankdays`) before the file's date (:class:`Calendar`).
Amounts follow each revenue item (:mod:`kokin.formats.items`, :func:`item_amount`) and each
employer's size (:func:`special_amounts`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from kokin.formats import items
from kokin.formats.bankdays import business_days_before, next_business_day
from kokin.formats.dates import fiscal_year_of
from kokin.formats.synth.people import Generator

#: due month of each instalment per 科目コード (items.ITEMS); months 1–3 fall in the next calendar year
DUE_MONTHS: dict[str, tuple[int, ...]] = {
    "01": (6, 8, 10, 1),  # 住民税(普通徴収): June, August, October, January
    "03": (5,),  # 軽自動車税: May
    "11": (6, 7, 8, 9, 10, 11, 12, 1, 2, 3),  # 国民健康保険料: June–March
    "12": (7, 8, 9, 10, 11, 12, 1, 2, 3),  # 後期高齢者医療保険料: July–March
    "21": (6, 7, 8, 9, 10, 11, 12, 1, 2, 3),  # 介護保険料: June–March
}
#: the day of the first due month on which the year's notices are out (before it nothing can be paid)
NOTICE_DAY = {"01": 10, "03": 1, "11": 12, "12": 10, "21": 12}
for _code, _months in DUE_MONTHS.items():
    _first, _last = items.ITEMS[_code].instalments
    assert len(_months) == _last - _first + 1, _code

#: 軽自動車税 yearly amounts (原付 50/90/125cc, 小型特殊, 二輪, 三輪, 四輪 乗用・貨物, 13 年超の重課)
LIGHT_VEHICLE_TAX = (2_000, 2_000, 2_000, 2_400, 3_700, 5_900, 3_600, 6_000, 6_000, 3_900, 10_800, 10_800, 10_800,
                     10_800, 7_200, 5_000, 6_900, 12_900, 3_800)  # fmt: skip
WINDOW = 20  # payment dates: this many bank business days before the file's date
LATE_RATES = (0.024, 0.087)  # 延滞金: a year's rate for the first month after the due date, then after


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


@functools.cache
def due_date(item: str, year: int, instalment: int) -> dt.date:
    """納期限 of an instalment of fiscal ``year``: month end, or for 特別徴収 the 10th after the salary month."""
    if item == "02":  # 納入月 k: salaries of month k (June of the year to May of the next), due the 10th after
        month = instalment
        cal = year if month >= 6 else year + 1
        return next_business_day(dt.date(cal + month // 12, month % 12 + 1, 10))
    month = DUE_MONTHS[item][instalment - 1]
    return next_business_day(_month_end(year if month >= 4 else year + 1, month))


@functools.cache
def first_payable(item: str, year: int, instalment: int) -> dt.date:
    """The first day an instalment can be paid: the notices are out (特別徴収: the salaries are paid)."""
    if item == "02":  # once the month's salaries are paid
        month = instalment
        return dt.date(year if month >= 6 else year + 1, month, 20)
    first = DUE_MONTHS[item][0]
    return dt.date(year if first >= 4 else year + 1, first, NOTICE_DAY[item])


@dataclass(frozen=True)
class Payment:
    """What one record pays: the date, the item, the fiscal year, the instalment and its due date."""

    date: dt.date
    item: str
    year: int
    instalment: int
    due: dt.date
    payment_kind: str  # 1 現年度分, 2 滞納繰越分

    @property
    def days_late(self) -> int:
        return max(0, (self.date - self.due).days)


def payment_weight(item: str, date: dt.date, year: int, instalment: int) -> float:
    """How likely a payment on ``date`` is for (year, instalment), relative to the item's volume.

    Most payments come in the month before the due date (特別徴収: between payday and the 10th, most
    near the 10th), a few early (前納) or late; years whose accounts are closed (after May 31 of the
    next year) are paid rarely, less the older they are (滞納繰越分).
    """
    if date < first_payable(item, year, instalment):
        return 0.0
    lead = (due_date(item, year, instalment) - date).days
    arrears = 0.002 * 0.7 ** max(0, fiscal_year_of(date) - year - 1)
    if item == "02":
        if lead >= 0:
            return 1.0 if lead <= 12 else 0.4
        return 0.05 if lead >= -60 else arrears / 2
    if lead >= 0:
        return 1.0 if lead <= 31 else 0.06
    if date <= dt.date(year + 1, 5, 31):  # still the year's own accounts: late, not carried forward
        return 0.2 if lead >= -45 else 0.03
    return arrears


class Calendar:
    """The payments a file may hold, weighted, for the business days before its date (one per run)."""

    def __init__(self, gen: Generator, volumes: Mapping[str, int]) -> None:
        self.gen = gen
        self.entries: list[Payment] = []
        cum: list[float] = []
        total = 0.0
        for date in business_days_before(gen.base_date, WINDOW):
            fy = fiscal_year_of(date)
            for item, volume in volumes.items():
                if item == "31":  # a fee is paid once, in the year it is paid
                    total += volume
                    self.entries.append(Payment(date, item, fy, 1, date, "1"))
                    cum.append(total)
                    continue
                first, last = items.ITEMS[item].instalments
                per = volume / (last - first + 1)
                for year in range(fy - 5, fy + 1):
                    for k in range(first, last + 1):
                        w = payment_weight(item, date, year, k) * per
                        if w <= 0:
                            continue
                        kind = "1" if date <= dt.date(year + 1, 5, 31) else "2"
                        total += w
                        self.entries.append(Payment(date, item, year, k, due_date(item, year, k), kind))
                        cum.append(total)
        self.cum = cum

    def draw(self) -> Payment:
        return self.gen.rng.choices(self.entries, cum_weights=self.cum)[0]


# -- amounts -------------------------------------------------------------------------------------


def _log_amount(rng: random.Random, low: int, high: int, step: int = 100) -> int:
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return max(low, min(high, int(value) // step * step))


def item_amount(rng: random.Random, item: str) -> int:
    """A plausible amount for one instalment of ``item`` (within items.ITEMS[item].amounts)."""
    low, high = items.ITEMS[item].amounts
    if item == "03":
        return rng.choice(LIGHT_VEHICLE_TAX)
    if item == "31":  # 粗大ごみ in 400-yen steps, some business waste
        return 400 * rng.randint(1, 7) if rng.random() < 0.8 else _log_amount(rng, 2_000, high, 10)
    return _log_amount(rng, low, high)


def late_charge(amount: int, days_late: int) -> int:
    """延滞金: on the amount cut to 1,000 yen, per day late; cut to 100 yen; under 1,000 yen none."""
    base = amount // 1_000 * 1_000
    if days_late <= 0 or base < 2_000:
        return 0
    early, later = LATE_RATES
    charge = int(base * (min(days_late, 30) * early + max(days_late - 30, 0) * later) / 365) // 100 * 100
    return charge if charge >= 1_000 else 0


def _employer_amount(employer: int, instalment: int, rng: random.Random) -> int:
    """The monthly tax an employer withholds: its own size, June carrying the year's remainder (端数)."""
    size = random.Random(employer * 31 + 5)
    low, high = items.ITEMS["02"].amounts
    base = max(low, min(high, int(math.exp(size.gauss(math.log(60_000), 1.3))) // 100 * 100))
    if rng.random() < 0.15:  # people joined or left
        base = max(low, min(high, base + rng.randint(-base // 5, base // 5) // 100 * 100))
    return base + (size.randint(0, 11) * 100 if instalment == 6 else 0)


def special_amounts(rng: random.Random, employer: int, p: Payment) -> tuple[int, int, int]:
    """(withheld tax, retirement income tax (退職所得分, in 3 % of payments), 延滞金) ``employer`` pays in ``p``."""
    amount = _employer_amount(employer, p.instalment, rng)
    retirement = _log_amount(rng, 1_000, 500_000) if rng.random() < 0.03 else 0
    return amount, retirement, late_charge(amount + retirement, p.days_late)
