"""Payments as columns: which instalments were paid on which day, and on which day the bank reports them.

Each instalment of each payer is paid once (or never): its day is drawn from :func:`support` by a hash
of the cohort's payment key, year and instalment, and its report lag from :data:`REPORT_LAG`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kokin.bank.simulator.calendar import ARREARS_YEARS, day_at, support
from kokin.bank.simulator.draws import choice, hash64, unit
from kokin.bank.simulator.population import Cohort
from kokin.formats import items
from kokin.formats.dates import fiscal_year_of

#: business days between payment and report: MPN 確報 the next day, slips travel from the counter
REPORT_LAG: dict[str, tuple[tuple[int, float], ...]] = {
    "mpn-receipt": ((1, 1.0),),
    "general-receipt": ((1, 0.55), (2, 0.3), (3, 0.1), (4, 0.05)),
    "general-receipt-waste": ((1, 0.55), (2, 0.3), (3, 0.1), (4, 0.05)),
    "special-receipt": ((1, 0.55), (2, 0.3), (3, 0.1), (4, 0.05)),
}


@dataclass
class Paid:
    """Payments as columns: the cohort, the payer's position in it, year, instalment, paid and reported days."""

    cohort: np.ndarray
    payer: np.ndarray
    year: np.ndarray
    instalment: np.ndarray
    paid: np.ndarray
    reported: np.ndarray

    @classmethod
    def empty(cls) -> Paid:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z, z)

    def __len__(self) -> int:
        return len(self.payer)

    def take(self, index: np.ndarray) -> Paid:
        return Paid(*(getattr(self, n)[index] for n in ("cohort", "payer", "year", "instalment", "paid", "reported")))

    @classmethod
    def concat(cls, parts: Sequence[Paid]) -> Paid:
        if not parts:
            return cls.empty()
        names = ("cohort", "payer", "year", "instalment", "paid", "reported")
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))


def key_of(cohort: Cohort, payer: int, year: int, instalment: int) -> str:
    """A payment's name in the state file (payments moved to another day)."""
    return f"{cohort.item}:{year}:{instalment}:{payer}"


def reported_in(cohorts: Sequence[Cohort], lag: Sequence[tuple[int, float]], first: int, last: int) -> Paid:
    """The payments of ``cohorts`` reported on business days ``first``…``last`` (indices)."""
    parts = []
    lags = np.array([d for d, _ in lag], dtype=np.int64)
    lag_weights = [w for _, w in lag]
    fy = fiscal_year_of(day_at(last))
    for c_index, cohort in enumerate(cohorts):
        first_k, last_k = items.ITEMS[cohort.item].instalments
        for year in range(fy - ARREARS_YEARS - 1, fy + 1):
            for k in range(first_k, last_k + 1):
                s = support(cohort.item, year, k)
                lo, hi = first - int(lags.max()) - s.start, last - int(lags.min()) - s.start
                if hi < 0 or lo >= len(s.cumulative):
                    continue
                j = np.searchsorted(s.cumulative, unit(hash64(cohort.pay_keys, year, k)), side="right")
                candidates = np.flatnonzero((j >= max(lo, 0)) & (j <= hi))
                if not len(candidates):
                    continue
                day = s.start + j[candidates]
                report = day + lags[choice(unit(hash64(cohort.lag_keys[candidates], year, k)), lag_weights)]
                sel = (report >= first) & (report <= last)
                n = int(sel.sum())
                if n:
                    parts.append(
                        Paid(
                            np.full(n, c_index),
                            candidates[sel],
                            np.full(n, year),
                            np.full(n, k),
                            day[sel],
                            report[sel],
                        )
                    )
    return Paid.concat(parts)
