"""The collecting side of the bank simulator: synthetic 調定, the payers who pay them, the day's files.

Every collection kind of the config has a **population** (母集団) per revenue item (科目): taxpayers,
insured persons or withholding employers (特別徴収義務者), numbered within their business, each with a
bank and branch they pay at (real codes from the master, weighted as in
:data:`kokin.formats.synth.BANK_WEIGHTS`) and an **assessment** (調定) for every fiscal year and
instalment (期別): the amount per instalment comes from :func:`kokin.formats.synth.item_amount`
(:func:`~kokin.formats.synth.special_amounts` for employers), seeded by the payer, year and instalment,
so the same instalment has the same amount in every file and every run.

Each instalment of each payer is paid **once** (or, for a few per cent, never): its payment day is
drawn from the ward's billing calendar (:func:`kokin.formats.synth.payment_weight`: most in the weeks
before 納期限, some early, some late with 延滞金, a few years later as 滞納繰越分) by a hash of (seed,
transfer ID, item, payer, year, instalment). A file for a period of business days holds the payments
the bank reports in it — MPN (Pay-easy) on the next business day (確報), OCR and handwritten slips one
to four business days after they were paid, as they travel from the counter to the designated bank.
Population sizes follow the yearly volume: payers × instalments × share that pays ≈ records a year.

特別徴収納入明細 (special-breakdown) details the special-receipt payments of the same business: each
breakdown row is one receipt payment taken in by an agent bank (代行収納), with the same employer, year,
month, amounts and date, so a breakdown's totals equal the sum of the receipts it details.

Everything is vectorised over the population with numpy; only the records of the period are touched
one by one (amounts, names), and files are encoded column-wise (:mod:`kokin.bank.sim_encode`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kokin.bank.sim_encode import Batch, build_columns
from kokin.formats import FORMATS, items
from kokin.formats import synth as sample
from kokin.formats.bankmaster import master
from kokin.formats.dates import fiscal_year_of
from kokin.formats.kana import normalise_name

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
#: share of an item's instalments never paid (滞納 that is never cleared); employers almost always pay
NEVER_PAID = {"02": 0.01, "31": 0.0}
NEVER_PAID_DEFAULT = 0.02
#: business days between payment and report: MPN 確報 the next day, slips travel from the counter
REPORT_LAG: dict[str, tuple[tuple[int, float], ...]] = {
    "mpn-receipt": ((1, 1.0),),
    "general-receipt": ((1, 0.55), (2, 0.3), (3, 0.1), (4, 0.05)),
    "general-receipt-waste": ((1, 0.55), (2, 0.3), (3, 0.1), (4, 0.05)),
    "special-receipt": ((1, 0.55), (2, 0.3), (3, 0.1), (4, 0.05)),
}
MAX_LAG = 4
ARREARS_YEARS = 5  # 地方税の消滅時効: an assessment is collectable for five years after its fiscal year
CALENDAR_FIRST = dt.date(2010, 1, 1)
CALENDAR_LAST = dt.date(2045, 12, 31)
DESIGNATED_BANK = "0001"

# salts that keep the independent draws of one payer apart
_PAY, _LAG, _BANK, _BRANCH, _AMOUNT, _CHANNEL, _CHECK, _SLIP, _SPLIT, _NAME, _AGENT, _PICK, _RATE = range(1, 14)


# -- hashing: the simulator's only source of randomness ------------------------------------------------


def text_key(text: str) -> int:
    """A stable 63-bit number for a text (Python's ``hash`` changes between runs)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.asarray(x ^ (x >> np.uint64(31)))


def hash64(*parts: int | np.ndarray) -> np.ndarray:
    """A uint64 per element of the broadcast ``parts`` (ints or integer arrays)."""
    with np.errstate(over="ignore"):
        h = np.asarray(np.uint64(0x9E3779B97F4A7C15))
        for part in parts:
            value = part.astype(np.uint64) if isinstance(part, np.ndarray) else np.uint64(part & 0xFFFFFFFFFFFFFFFF)
            h = _mix(h ^ (value + np.uint64(0x9E3779B97F4A7C15)))
        return np.atleast_1d(h)


def _unit(h: np.ndarray) -> np.ndarray:
    return np.asarray((h >> np.uint64(11)).astype(np.float64) * 2.0**-53)


def uniform(*parts: int | np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1), one per element of the broadcast ``parts``."""
    return _unit(hash64(*parts))


class Draws(random.Random):
    """The ``random.Random`` interface over a splitmix64 stream from one 64-bit seed.

    The sample's amount helpers take a ``random.Random``; seeding Python's Mersenne Twister costs
    about 5 µs, which a 100,000-record day pays several times over. This stream seeds for free.
    """

    _MASK = 0xFFFFFFFFFFFFFFFF

    def seed(self, a: Any = None, version: int = 2) -> None:
        self._state = int(a or 0) & self._MASK

    def _next(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & self._MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self._next() >> 11) * 2.0**-53

    def getrandbits(self, k: int) -> int:
        out, bits = 0, 0
        while bits < k:
            out = out << 64 | self._next()
            bits += 64
        return out >> (bits - k)

    def getstate(self) -> Any:
        return self._state

    def setstate(self, state: Any) -> None:
        self._state = int(state)


def _choice(u: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)


# -- the bank calendar as indices ----------------------------------------------------------------------


@functools.cache
def business_days() -> tuple[tuple[dt.date, ...], np.ndarray]:
    """Every bank business day of the calendar's range and their ordinals (sorted)."""
    days = []
    d = CALENDAR_FIRST
    while d <= CALENDAR_LAST:
        if sample.is_business_day(d):
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


# -- the config's collection kinds and their populations ----------------------------------------------


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
    bank_i = _choice(uniform(salt, _BANK, ids), weights)
    pick = hash64(salt, _BRANCH, ids)
    banks = np.array(codes, dtype="U4")[bank_i]
    branches = np.empty(size, dtype="U3")
    for i, code in enumerate(codes):
        sel = bank_i == i
        options = np.array(sample.branches_of(code), dtype="U3")
        branches[sel] = options[(pick[sel] % np.uint64(len(options))).astype(np.int64)]
    return Cohort(item, size, id_base, salt, banks, branches, hash64(salt, _PAY, ids), hash64(salt, _LAG, ids))


def cohort_size(item: str, volume: float) -> int:
    first, last = items.ITEMS[item].instalments
    paid = 1.0 - NEVER_PAID.get(item, NEVER_PAID_DEFAULT)
    return max(1, round(volume / ((last - first + 1) * paid)))


# -- payments ------------------------------------------------------------------------------------------


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
                j = np.searchsorted(s.cumulative, _unit(hash64(cohort.pay_keys, year, k)), side="right")
                candidates = np.flatnonzero((j >= max(lo, 0)) & (j <= hi))
                if not len(candidates):
                    continue
                day = s.start + j[candidates]
                report = day + lags[_choice(_unit(hash64(cohort.lag_keys[candidates], year, k)), lag_weights)]
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


# -- records -------------------------------------------------------------------------------------------


def taxpayer_number(payer_id: int) -> int:
    """A taxpayer's number (納税義務者番号) from their id: a bijection of 1…999,982, so it looks drawn
    (larger ids, from populations beyond any ward, keep their own number)."""
    return payer_id * 7_919 % 999_983 if payer_id < 999_983 else payer_id


def _payment(cohort: Cohort, year: int, instalment: int, day: dt.date) -> sample.Payment:
    if cohort.item == "31":
        return sample.Payment(day, "31", year, 1, day, "1")
    kind = "1" if day <= dt.date(year + 1, 5, 31) else "2"
    return sample.Payment(day, cohort.item, year, instalment, sample.due_date(cohort.item, year, instalment), kind)


@dataclass
class _Rows:
    """The payments of a period with what their records need, drawn for all of them at once."""

    cohorts: Sequence[Cohort]
    paid: Paid

    def __post_init__(self) -> None:
        self.salts = np.array([c.salt for c in self.cohorts], dtype=np.uint64)[self.paid.cohort]
        bases = np.array([c.id_base for c in self.cohorts], dtype=np.int64)
        self.ids = bases[self.paid.cohort] + self.paid.payer + 1 if len(self.paid) else self.paid.payer
        days = business_days()[0]
        self.days = [days[i] for i in self.paid.paid.tolist()]
        self.years: list[int] = self.paid.year.tolist()
        self.instalments: list[int] = self.paid.instalment.tolist()
        self.payers: list[int] = self.paid.payer.tolist()
        self.cohort_of = [self.cohorts[i] for i in self.paid.cohort.tolist()]

    def __len__(self) -> int:
        return len(self.paid)

    def hashes(self, what: int, *, per_year_only: bool = False) -> list[int]:
        """One 64-bit draw per payment (or per payer and year: the same for all instalments of a year)."""
        if not len(self.paid):
            return []
        if per_year_only:
            return [int(h) for h in hash64(self.salts, what, self.ids, self.paid.year)]
        return [int(h) for h in hash64(self.salts, what, self.ids, self.paid.year, self.paid.instalment)]

    def uniform(self, what: int, *, per_payer: bool = False) -> list[float]:
        """One draw per payment in [0, 1) (or per payer: the same in all of a payer's payments)."""
        if not len(self.paid):
            return []
        if per_payer:
            return list(uniform(self.salts, what, self.ids).tolist())
        return list(uniform(self.salts, what, self.ids, self.paid.year, self.paid.instalment).tolist())

    def payment(self, i: int) -> sample.Payment:
        return _payment(self.cohort_of[i], self.years[i], self.instalments[i], self.days[i])

    def amounts(self) -> list[int]:
        """The assessed amount of each paid instalment (調定額): drawn per payer and year, so every
        instalment of a year has the same amount except the 1st, which carries the remainder (端数)."""
        out = []
        for i, seed in enumerate(self.hashes(_AMOUNT, per_year_only=True)):
            out.append(_instalment_amount(self.cohort_of[i].item, Draws(seed), self.instalments[i]))
        return out

    def banks(self) -> list[str]:
        return [str(c.banks[p]) for c, p in zip(self.cohort_of, self.payers, strict=True)]

    def branches(self) -> list[str]:
        return [str(c.branches[p]) for c, p in zip(self.cohort_of, self.payers, strict=True)]


def _instalment_amount(item: str, rng: random.Random, instalment: int) -> int:
    amount = sample.item_amount(rng, item)
    first, last = items.ITEMS[item].instalments
    if last > first and instalment == first:
        amount += 100 * rng.randint(0, last - first)
    return amount


def _mpn(cohorts: Sequence[Cohort], paid: Paid) -> tuple[dict[str, Any], int]:
    rows = _Rows(cohorts, paid)
    codes = [c for c, _ in sample.CHANNEL_MIX]
    channel = _choice(np.asarray(rows.uniform(_CHANNEL)), [w for _, w in sample.CHANNEL_MIX]).tolist()
    checks = rows.hashes(_CHECK)
    amounts = rows.amounts()
    n = len(rows)
    cols: dict[str, Any] = {
        "item_code": [c.item for c in rows.cohort_of],
        "assessment_year": [f"{y:04d}" for y in rows.years],
        "instalment": [f"{k:02d}" for k in rows.instalments],
        "payment_number": [
            sample.with_check_digit(
                f"{rows.years[i]:04d}{rows.cohort_of[i].item}{rows.instalments[i]:02d}"
                f"{taxpayer_number(int(rows.ids[i])):011d}"
            )
            for i in range(n)
        ],
        "check_number": [f"{h % 999_000 + 1_000:06d}" for h in checks],
        "amount": np.array(amounts, dtype=np.int64),
        "collecting_bank_code": rows.banks(),
        "payment_date": [d.strftime("%Y%m%d") for d in rows.days],
        "payment_kind": [rows.payment(i).payment_kind for i in range(n)],
        "channel": [codes[c] for c in channel],
    }
    return cols, sum(amounts)


def _person_kana(u_person: float, u_a: float, u_b: float) -> str:
    surname = sample.SURNAMES[int(u_a * len(sample.SURNAMES))][1]
    if u_person < 0.85:
        return f"{surname} {sample.GIVEN_NAMES[int(u_b * len(sample.GIVEN_NAMES))][1]}"
    return f"{sample.ENTITY_FORMS[int(u_b * len(sample.ENTITY_FORMS))]}{surname}"


def _general(cohorts: Sequence[Cohort], paid: Paid, *, waste: bool) -> tuple[dict[str, Any], int]:
    rows = _Rows(cohorts, paid)
    billed = rows.amounts()
    u_slip, u_split = rows.uniform(_SLIP), rows.uniform(_SPLIT)
    amounts, lates, slips, kinds = [], [], [], []
    for i, bill in enumerate(billed):
        p = rows.payment(i)
        slip = "2" if u_slip[i] < sample.HANDWRITTEN[p.item] else "1"
        # a handwritten slip is sometimes a part payment (分納) of what was billed
        amount = bill // 2 // 100 * 100 if slip == "2" and u_split[i] < 0.3 and bill >= 2_000 else bill
        amounts.append(amount)
        lates.append(sample.late_charge(amount, p.days_late))
        slips.append(slip)
        kinds.append(p.payment_kind)
    cols: dict[str, Any] = {
        "item_code": [c.item for c in rows.cohort_of],
        "assessment_year": [f"{y:04d}" for y in rows.years],
        "instalment": [f"{k:02d}" for k in rows.instalments],
        "notice_number": [
            f"{y:04d}{c.item}{k:02d}{taxpayer_number(int(pid)):08d}"
            for y, c, k, pid in zip(rows.years, rows.cohort_of, rows.instalments, rows.ids, strict=True)
        ],
        "billed_amount": np.array(billed, dtype=np.int64),
        "collecting_bank_code": rows.banks(),
        "collecting_branch_code": rows.branches(),
        "payment_date": [d.strftime("%Y%m%d") for d in rows.days],
        "slip_kind": slips,
        "payment_kind": kinds,
    }
    if waste:  # the payer paid the fee; the collection agent keeps its commission; the ward gets the rest
        rates = [0.1 if u < 1 / 3 else 0.05 for u in rows.uniform(_RATE)]
        commissions = [int(b * r) for b, r in zip(billed, rates, strict=True)]
        amounts = [b - c for b, c in zip(billed, commissions, strict=True)]
        lates = [0] * len(billed)
        names = zip(*(rows.uniform(_NAME + 100 * j, per_payer=True) for j in range(3)), strict=True)
        cols["collected_amount"] = np.array(billed, dtype=np.int64)
        cols["commission_amount"] = np.array(commissions, dtype=np.int64)
        cols["payer_name"] = [normalise_name(_person_kana(*u), length=40, truncate=True).value for u in names]
    cols["amount"] = np.array(amounts, dtype=np.int64)
    cols["late_charge"] = np.array(lates, dtype=np.int64)
    return cols, sum(amounts)


@dataclass
class SpecialPayment:
    """One 特別徴収 payment: what both special-receipt and special-breakdown say about it."""

    employer: int
    year: int
    instalment: int
    day: dt.date
    amount: int
    retirement_tax: int
    late_charge: int
    bank: str
    branch: str
    slip_kind: str
    payment_kind: str


def special_payments(cohorts: Sequence[Cohort], paid: Paid) -> list[SpecialPayment]:
    rows = _Rows(cohorts, paid)
    seeds, u_slip = rows.hashes(_AMOUNT), rows.uniform(_SLIP)
    banks, branches = rows.banks(), rows.branches()
    out = []
    for i, seed in enumerate(seeds):
        p = rows.payment(i)
        employer = int(rows.ids[i])
        amount, retirement, late = sample.special_amounts(Draws(seed), employer, p)
        slip = "2" if u_slip[i] < sample.HANDWRITTEN["02"] else "1"
        out.append(
            SpecialPayment(
                employer, p.year, p.instalment, p.date, amount, retirement, late, banks[i], branches[i], slip,
                p.payment_kind,
            )
        )  # fmt: skip
    return out


def _special_receipt(payments: Sequence[SpecialPayment]) -> tuple[dict[str, Any], int]:
    cols: dict[str, Any] = {
        "assessment_year": [f"{p.year:04d}" for p in payments],
        "instalment": [f"{p.instalment:02d}" for p in payments],
        "employer_number": [sample.employer_number(p.employer) for p in payments],
        "amount": np.array([p.amount for p in payments], dtype=np.int64),
        "retirement_tax": np.array([p.retirement_tax for p in payments], dtype=np.int64),
        "late_charge": np.array([p.late_charge for p in payments], dtype=np.int64),
        "collecting_bank_code": [p.bank for p in payments],
        "collecting_branch_code": [p.branch for p in payments],
        "payment_date": [p.day.strftime("%Y%m%d") for p in payments],
        "slip_kind": [p.slip_kind for p in payments],
        "payment_kind": [p.payment_kind for p in payments],
    }
    return cols, int(cols["amount"].sum())


@functools.lru_cache(maxsize=262_144)
def _employer_details(employer: int) -> tuple[str, str, str]:
    """sample.employer_details, kept for more employers: writing a name in kanji costs ~0.1 ms."""
    return sample.employer_details(employer)


def _special_breakdown(payments: Sequence[SpecialPayment]) -> tuple[dict[str, Any], int]:
    details = [_employer_details(p.employer) for p in payments]
    hubs = [sample.aggregating_branch(p.bank) for p in payments]
    cols: dict[str, Any] = {
        "assessment_year": [f"{p.year:04d}" for p in payments],
        "instalment": [f"{p.instalment:02d}" for p in payments],
        "agent_bank_code": [p.bank for p in payments],
        "agent_bank_name": [sample.bank_kanji(p.bank) for p in payments],
        "aggregating_branch_code": hubs,
        "aggregating_branch_name": [sample.branch_kanji(p.bank, h) for p, h in zip(payments, hubs, strict=True)],
        "handling_branch_code": [p.branch for p in payments],
        "handling_branch_name": [sample.branch_kanji(p.bank, p.branch) for p in payments],
        "employer_number": [sample.employer_number(p.employer) for p in payments],
        "employer_name": [d[0] for d in details],
        "postal_code": [d[1] for d in details],
        "address": [d[2] for d in details],
        "amount": np.array([p.amount for p in payments], dtype=np.int64),
        "retirement_tax": np.array([p.retirement_tax for p in payments], dtype=np.int64),
        "late_charge": np.array([p.late_charge for p in payments], dtype=np.int64),
        "collecting_bank_code": DESIGNATED_BANK,  # paid into the ward's account at the designated bank
        "payment_date": [p.day.strftime("%Y%m%d") for p in payments],
    }
    return cols, int(cols["amount"].sum())


# -- the day's files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionFile:
    transfer_id: str
    format: str
    day: dt.date
    raw: bytes
    records: int
    amount: int
    #: payments moved here from a later day (so that no file is empty): their keys and original days
    pulled: tuple[tuple[str, str], ...] = ()
    #: payments the period had before ``max_records_per_file`` cut it
    available: int = 0


def header_for(fmt: str, day: dt.date, file_number: int) -> dict[str, Any]:
    ward = sample.ward_header(day, wide=fmt == "special-breakdown")
    if fmt == "mpn-receipt":
        header = {
            "collector_number": sample.WARD_CODE[:5],
            "collector_name": ward["municipality_name"],
            **{k: v for k, v in ward.items() if k.startswith(("bank", "branch", "creation"))},
            "report_kind": "2",
        }
    else:
        header = dict(ward)
    return {**header, "file_number": file_number % 1000}


class Collections:
    """The populations of every collection kind of a config, and the files of a period."""

    def __init__(
        self, seed: int, kinds: Sequence[KindSpec], *, max_records: int | None = None, min_records: int = 1
    ) -> None:
        self.seed = seed
        self.kinds = list(kinds)
        self.max_records = max_records
        self.min_records = min_records
        self.cohorts: dict[str, list[Cohort]] = {}
        self.detail_of: dict[str, str] = {}  # breakdown transfer ID → receipt transfer ID
        receipts = {k.business: k for k in self.kinds if k.format == "special-receipt"}
        by_id = {k.transfer_id: k for k in self.kinds}
        next_id: dict[str, int] = {}
        for spec in self.kinds:
            if spec.format == "special-breakdown":
                source = by_id.get(spec.receipts or "") or receipts.get(spec.business)
                if source is not None and source.format == "special-receipt":
                    self.detail_of[spec.transfer_id] = source.transfer_id
                    continue
            # employers and taxpayers are numbered per business so one business never repeats a number
            group = spec.business + ("/employer" if spec.format.startswith("special") else "")
            cohorts = []
            for item, volume in item_volumes(spec).items():
                size = cohort_size(item, volume)
                salt = int(hash64(seed, text_key(spec.transfer_id), text_key(item))[0])
                cohorts.append(make_cohort(item, size, next_id.get(group, 0), salt))
                next_id[group] = next_id.get(group, 0) + size
            self.cohorts[spec.transfer_id] = cohorts

    def _lag(self, spec: KindSpec) -> tuple[tuple[int, float], ...]:
        return REPORT_LAG.get(spec.format, REPORT_LAG["special-receipt"])

    def _select(self, spec: KindSpec, first: int, last: int, pulled: Mapping[str, str]) -> Paid:
        cohorts = self.cohorts[spec.transfer_id]
        paid = reported_in(cohorts, self._lag(spec), first, last)
        if pulled and len(paid):
            keep = np.array(
                [
                    key_of(cohorts[int(c)], int(p), int(y), int(k)) not in pulled
                    for c, p, y, k in zip(paid.cohort, paid.payer, paid.year, paid.instalment, strict=True)
                ]
            )
            paid = paid.take(np.flatnonzero(keep))
        return paid

    def _order(self, spec: KindSpec, paid: Paid) -> Paid:
        """Cap the period at ``max_records`` (a share drawn by hash) and sort as a bank lists them."""
        cohorts = self.cohorts[spec.transfer_id]
        if not len(paid):
            return paid
        salts = np.array([c.salt for c in cohorts], dtype=np.uint64)[paid.cohort]
        if self.max_records is not None and len(paid) > self.max_records:
            rank = hash64(salts, _PICK, paid.payer, paid.year, paid.instalment)
            paid = paid.take(np.sort(np.argsort(rank, kind="stable")[: self.max_records]))
        offsets = np.cumsum([0] + [c.size for c in cohorts])[:-1]
        banks = np.concatenate([c.banks.astype(np.int64) for c in cohorts])[offsets[paid.cohort] + paid.payer]
        ids = np.array([c.id_base for c in cohorts], dtype=np.int64)[paid.cohort] + paid.payer
        return paid.take(np.lexsort((paid.instalment, paid.year, ids, banks, paid.paid)))

    def _top_up(
        self, spec: KindSpec, paid: Paid, last: int, pulled: Mapping[str, str]
    ) -> tuple[Paid, list[tuple[str, str]]]:
        """Move the next payments forward so the file has ``min_records``: a quiet day still gets a file.

        Returns the payments and the (key, original day) of those moved, so that their own day leaves
        them out."""
        cohorts = self.cohorts[spec.transfer_id]
        moved: list[Paid] = []
        keys: list[tuple[str, str]] = []
        need = self.min_records - len(paid)
        for ahead in range(1, 120):
            if need <= 0 or last + ahead >= len(business_days()[0]):
                break
            later = self._order(spec, self._select(spec, last + ahead, last + ahead, pulled))
            for i in range(len(later)):
                cohort = cohorts[int(later.cohort[i])]
                year, k = int(later.year[i]), int(later.instalment[i])
                pay_day = min(int(later.paid[i]), last - 1)
                if support(cohort.item, year, k).start > pay_day:
                    continue  # not billed yet on the day it would be paid
                row = later.take(np.array([i]))
                row.paid[:] = pay_day
                row.reported[:] = last
                moved.append(row)
                keys.append((key_of(cohort, int(later.payer[i]), year, k), day_at(last + ahead).isoformat()))
                need -= 1
                if need <= 0:
                    break
        return Paid.concat([paid, *moved]), keys

    def build(
        self, first: int, last: int, file_numbers: Mapping[str, int], pulled: Mapping[str, Mapping[str, str]]
    ) -> list[CollectionFile]:
        """The files of business days ``first``…``last`` (indices), one per collection kind.

        ``file_numbers`` gives each transfer ID's ファイル通番; ``pulled`` the payments already moved to
        an earlier day (transfer ID → key → original day), left out here.
        """
        day = day_at(last)
        out: list[CollectionFile] = []
        specials: dict[str, list[SpecialPayment]] = {}
        for spec in sorted(self.kinds, key=lambda k: k.transfer_id in self.detail_of):
            number = file_numbers.get(spec.transfer_id, 1)
            layout = FORMATS[spec.format].LAYOUT
            keys: list[tuple[str, str]] = []
            if spec.transfer_id in self.detail_of:
                receipts = specials.get(self.detail_of[spec.transfer_id], [])
                payments = self._detailed(spec, receipts)
                available = len(payments)
                columns, amount = _special_breakdown(payments)
                count = len(payments)
            else:
                selected = self._select(spec, first, last, pulled.get(spec.transfer_id, {}))
                available = len(selected)
                paid = self._order(spec, selected)
                if len(paid) < self.min_records:
                    paid, keys = self._top_up(spec, paid, last, pulled.get(spec.transfer_id, {}))
                cohorts = self.cohorts[spec.transfer_id]
                count = len(paid)
                if spec.format == "mpn-receipt":
                    columns, amount = _mpn(cohorts, paid)
                elif spec.format.startswith("general-receipt"):
                    columns, amount = _general(cohorts, paid, waste=spec.format == "general-receipt-waste")
                else:
                    payments = special_payments(cohorts, paid)
                    specials[spec.transfer_id] = payments
                    maker = _special_receipt if spec.format == "special-receipt" else _special_breakdown
                    columns, amount = maker(payments)
            batches = [Batch(header_for(spec.format, day, number), columns, count)]
            raw = build_columns(layout, batches)
            out.append(
                CollectionFile(
                    spec.transfer_id, spec.format, day, raw, count, amount, tuple(keys), max(available, count)
                )
            )
        order = {k.transfer_id: i for i, k in enumerate(self.kinds)}
        return sorted(out, key=lambda f: order[f.transfer_id])

    def _detailed(self, spec: KindSpec, receipts: Sequence[SpecialPayment]) -> list[SpecialPayment]:
        """The receipts an agent bank took in (代行収納): a hash-drawn share, the volume ratio of the seed."""
        source = next(k for k in self.kinds if k.transfer_id == self.detail_of[spec.transfer_id])
        share = min(1.0, spec.yearly_volume / max(source.yearly_volume, 1))
        salt = int(hash64(self.seed, text_key(spec.transfer_id))[0])
        chosen = [p for p in receipts if uniform(salt, _AGENT, p.employer, p.year, p.instalment)[0] < share] or list(
            receipts[: self.min_records]
        )
        if self.max_records is not None:
            chosen = chosen[: self.max_records]
        return chosen
