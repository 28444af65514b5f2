"""The config's collection kinds and their populations: who pays, which items, at which bank.

A kind's revenue items (科目) come from the config, its label or its department; each item has a
:class:`Cohort` of payers sized by the kind's yearly volume, each payer drawn a bank and branch
(real codes from the master, weighted as in :data:`kokin.formats.synth.BANK_WEIGHTS`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from kokin.bank.simulator.calendar import NEVER_PAID, NEVER_PAID_DEFAULT
from kokin.bank.simulator.draws import Salt, choice, hash64, uniform
from kokin.formats import items
from kokin.formats import synth as sample
from kokin.formats.bankmaster import master

COLLECTION_FORMATS = ("mpn-receipt", "general-receipt", "general-receipt-waste", "special-receipt", "special-breakdown")
#: 科目コード a format may carry
FORMAT_ITEMS: dict[str, tuple[str, ...]] = {
    "mpn-receipt": ("01", "03", "11", "12", "21"),
    "general-receipt": ("01", "03", "11", "12", "21"),
    "general-receipt-waste": ("31",),
    "special-receipt": ("02",),
    "special-breakdown": ("02",),
}
#: words in a kind's label that name its items
LABEL_ITEMS = (
    ("住民税", "01"),
    ("軽自動車", "03"),
    ("国民健康保険", "11"),
    ("国保", "11"),
    ("後期高齢", "12"),
    ("介護", "21"),
    ("廃棄物", "31"),
)
#: the demo ward's departments by the first word of a transfer ID, when the label names no item
DEPARTMENT_ITEMS = {"ZEIMU": ("01", "03"), "KOKUHO": ("11", "12"), "KAIGO": ("21",), "SEISO": ("31",)}


@dataclass(frozen=True)
class KindSpec:
    """One ``[[kind]]`` of the config that the bank fills (a collection mailbox)."""

    transfer_id: str
    format: str
    yearly_volume: int
    label: str = ""
    items: tuple[str, ...] = ()
    #: special-breakdown: the special-receipt kind it details (default: the one of the same business)
    receipts: str | None = None

    @property
    def business(self) -> str:
        return self.transfer_id.rsplit("-", 1)[0] if "-" in self.transfer_id else self.transfer_id


def items_of(spec: KindSpec) -> tuple[str, ...]:
    """The revenue items a kind carries: as configured, else named by its label, else by its department."""
    allowed = FORMAT_ITEMS[spec.format]
    if len(allowed) == 1:
        return allowed
    if spec.items:
        return tuple(i for i in spec.items if i in allowed)
    named = tuple(dict.fromkeys(code for word, code in LABEL_ITEMS if word in spec.label and code in allowed))
    if named:
        return named
    by_department = DEPARTMENT_ITEMS.get(spec.transfer_id.split("-", 1)[0], ())
    return tuple(i for i in by_department if i in allowed) or tuple(
        i for i in sample.VOLUMES[spec.format] if i in allowed
    )


def item_volumes(spec: KindSpec) -> dict[str, float]:
    """The kind's yearly volume split over its items as the seed splits it (sample.VOLUMES)."""
    codes = items_of(spec)
    known = sample.VOLUMES.get(spec.format, {})
    weights = [float(known.get(c, 0)) or 1.0 for c in codes]
    total = sum(weights)
    return {c: spec.yearly_volume * w / total for c, w in zip(codes, weights, strict=True)}


@dataclass
class Cohort:
    """The payers of one item in one kind: ids ``id_base + 1``… and the bank and branch each pays at."""

    item: str
    size: int
    id_base: int
    salt: int
    banks: np.ndarray = field(repr=False)  # '0005'-style codes
    branches: np.ndarray = field(repr=False)
    #: per payer, the first rounds of the hashes that draw payment days and report lags (reused every day)
    pay_keys: np.ndarray = field(repr=False)
    lag_keys: np.ndarray = field(repr=False)

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.id_base + 1, self.id_base + self.size + 1, dtype=np.int64)


@functools.cache
def _bank_table() -> tuple[tuple[str, ...], tuple[int, ...]]:
    m = master()
    usable = [(c, w) for c, w in sample.BANK_WEIGHTS if m.bank(c) and sample.branches_of(c)]
    return tuple(c for c, _ in usable), tuple(w for _, w in usable)


def make_cohort(item: str, size: int, id_base: int, salt: int) -> Cohort:
    codes, weights = _bank_table()
    ids = np.arange(id_base + 1, id_base + size + 1, dtype=np.int64)
    bank_i = choice(uniform(salt, Salt.BANK, ids), weights)
    pick = hash64(salt, Salt.BRANCH, ids)
    banks = np.array(codes, dtype="U4")[bank_i]
    branches = np.empty(size, dtype="U3")
    for i, code in enumerate(codes):
        sel = bank_i == i
        options = np.array(sample.branches_of(code), dtype="U3")
        branches[sel] = options[(pick[sel] % np.uint64(len(options))).astype(np.int64)]
    return Cohort(item, size, id_base, salt, banks, branches, hash64(salt, Salt.PAY, ids), hash64(salt, Salt.LAG, ids))


def cohort_size(item: str, volume: float) -> int:
    first, last = items.ITEMS[item].instalments
    paid = 1.0 - NEVER_PAID.get(item, NEVER_PAID_DEFAULT)
    return max(1, round(volume / ((last - first + 1) * paid)))
