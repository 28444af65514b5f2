"""The records of a period's payments, as columns per collection kind (names, amounts, numbers).

Every value is drawn per payment (or per payer) by hash, from the same model as the sample files
(:mod:`kokin.formats.synth`): amounts, slips, part payments, late charges, channels, names.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kokin.bank.simulator.calendar import business_days
from kokin.bank.simulator.draws import Draws, Salt, choice, hash64, uniform
from kokin.bank.simulator.payments import Paid
from kokin.bank.simulator.population import Cohort
from kokin.formats import items
from kokin.formats import synth as sample
from kokin.formats.kana import normalise_name

DESIGNATED_BANK = "0001"


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
        for i, seed in enumerate(self.hashes(Salt.AMOUNT, per_year_only=True)):
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


def mpn_columns(cohorts: Sequence[Cohort], paid: Paid) -> tuple[dict[str, Any], int]:
    rows = _Rows(cohorts, paid)
    codes = [c for c, _ in sample.CHANNEL_MIX]
    channel = choice(np.asarray(rows.uniform(Salt.CHANNEL)), [w for _, w in sample.CHANNEL_MIX]).tolist()
    checks = rows.hashes(Salt.CHECK)
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


def general_columns(cohorts: Sequence[Cohort], paid: Paid, *, waste: bool) -> tuple[dict[str, Any], int]:
    rows = _Rows(cohorts, paid)
    billed = rows.amounts()
    u_slip, u_split = rows.uniform(Salt.SLIP), rows.uniform(Salt.SPLIT)
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
        rates = [0.1 if u < 1 / 3 else 0.05 for u in rows.uniform(Salt.RATE)]
        commissions = [int(b * r) for b, r in zip(billed, rates, strict=True)]
        amounts = [b - c for b, c in zip(billed, commissions, strict=True)]
        lates = [0] * len(billed)
        names = zip(*(rows.uniform(Salt.NAME + 100 * j, per_payer=True) for j in range(3)), strict=True)
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
    seeds, u_slip = rows.hashes(Salt.AMOUNT), rows.uniform(Salt.SLIP)
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


def special_receipt_columns(payments: Sequence[SpecialPayment]) -> tuple[dict[str, Any], int]:
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


def special_breakdown_columns(payments: Sequence[SpecialPayment]) -> tuple[dict[str, Any], int]:
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
