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
one by one (amounts, names), and files are encoded column-wise
(:func:`kokin.formats.build.build_columns`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kokin.bank.simulator.calendar import business_days, day_at, support
from kokin.bank.simulator.draws import Salt, hash64, text_key, uniform
from kokin.bank.simulator.payments import REPORT_LAG, Paid, key_of, reported_in
from kokin.bank.simulator.population import Cohort, KindSpec, cohort_size, item_volumes, make_cohort
from kokin.bank.simulator.records import (
    SpecialPayment,
    general_columns,
    mpn_columns,
    special_breakdown_columns,
    special_payments,
    special_receipt_columns,
)
from kokin.formats import FORMATS
from kokin.formats import synth as sample
from kokin.formats.build import ColumnBatch, build_columns


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
            rank = hash64(salts, Salt.PICK, paid.payer, paid.year, paid.instalment)
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
                columns, amount = special_breakdown_columns(payments)
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
                    columns, amount = mpn_columns(cohorts, paid)
                elif spec.format.startswith("general-receipt"):
                    columns, amount = general_columns(cohorts, paid, waste=spec.format == "general-receipt-waste")
                else:
                    payments = special_payments(cohorts, paid)
                    specials[spec.transfer_id] = payments
                    maker = special_receipt_columns if spec.format == "special-receipt" else special_breakdown_columns
                    columns, amount = maker(payments)
            batches = [ColumnBatch(header_for(spec.format, day, number), columns, count)]
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
        chosen = [
            p for p in receipts if uniform(salt, Salt.AGENT, p.employer, p.year, p.instalment)[0] < share
        ] or list(receipts[: self.min_records])
        if self.max_records is not None:
            chosen = chosen[: self.max_records]
        return chosen
