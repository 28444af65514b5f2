"""Realistic sample files for every format, deterministic for a seed, with optional injected faults.

Payers, banks and amounts look like a ward's real data: bank and branch codes come from the
``zengin-code`` master (the big city banks, regional banks, shinkin banks and Japan Post Bank, weighted
as a ward's payers use them), amounts follow each revenue item (:mod:`kokin.formats.items`), names
are kana (half width in Zengin fields) or kanji (full width). Same seed and options → same bytes.

The collection kinds (``mpn-receipt``, ``general-receipt``, ``general-receipt-waste``,
``special-receipt``, ``special-breakdown``) follow the ward's billing calendar
(:class:`~kokin.formats.synth.calendar.Calendar`): each item's instalments fall due on fixed months
(:data:`~kokin.formats.synth.calendar.DUE_MONTHS`; 特別徴収 on the 10th after the salary month),
payments are dated on bank business days before the file's date and mostly pay what falls due next, a
few pay early or late (延滞金, :func:`late_charge`) or pay years whose accounts are closed (滞納繰越分).
Item mix, OCR/手書 shares and volumes follow the seed (:data:`VOLUMES`, :data:`HANDWRITTEN`).

>>> raw, _ = generate("special-receipt", 3, seed=1)
>>> from kokin.formats.kinds import special_receipt
>>> report = special_receipt.validate(raw)
>>> report.error_count, report.warning_count
(0, 0)

``faults`` injects documented faults (:data:`FAULT_KINDS`) into the built bytes and returns where
they are, so tests can check that validation finds each one at its record and field.

The parts: :mod:`~kokin.formats.synth.people` (who pays, with which bank),
:mod:`~kokin.formats.synth.calendar` (what falls due when, and how much),
:mod:`~kokin.formats.synth.records` (one generator per format), :mod:`~kokin.formats.synth.faults`
(the injected faults). The bank simulator (:mod:`kokin.bank`) draws its payments from the same model.
"""

from __future__ import annotations

import datetime as dt
import random

from kokin.formats.progress import Tick
from kokin.formats.synth.calendar import (
    LIGHT_VEHICLE_TAX,
    Payment,
    due_date,
    first_payable,
    item_amount,
    late_charge,
    payment_weight,
    special_amounts,
)
from kokin.formats.synth.faults import FAULT_KINDS, Fault, inject
from kokin.formats.synth.people import (
    BANK_WEIGHTS,
    ENTITY_FORMS,
    GIVEN_NAMES,
    SURNAMES,
    Generator,
    aggregating_branch,
    bank_kanji,
    branch_kanji,
    branches_of,
    employer_details,
    employer_number,
)
from kokin.formats.synth.records import (
    CHANNEL_MIX,
    GENERATORS,
    HANDWRITTEN,
    VOLUMES,
    WARD_CODE,
    ward_header,
    with_check_digit,
)

__all__ = [
    "BANK_WEIGHTS",
    "CHANNEL_MIX",
    "ENTITY_FORMS",
    "FAULT_KINDS",
    "GIVEN_NAMES",
    "HANDWRITTEN",
    "LIGHT_VEHICLE_TAX",
    "SURNAMES",
    "VOLUMES",
    "WARD_CODE",
    "Fault",
    "Payment",
    "aggregating_branch",
    "bank_kanji",
    "branch_kanji",
    "branches_of",
    "due_date",
    "employer_details",
    "employer_number",
    "first_payable",
    "generate",
    "item_amount",
    "late_charge",
    "payment_weight",
    "special_amounts",
    "ward_header",
    "with_check_digit",
]


def generate(
    fmt: str,
    records: int,
    *,
    seed: int = 0,
    faults: int = 0,
    result: bool = False,
    base_date: dt.date | None = None,
    progress: Tick | None = None,
    header: dict[str, str] | None = None,
) -> tuple[bytes, list[Fault]]:
    """A valid sample file of ``fmt`` with ``records`` data records, then ``faults`` injected faults;
    ``progress`` is told as the records are drawn. ``header`` changes the header's fields (only
    ``zengin-debit``: e.g. another business's 委託者コード)."""
    if fmt not in GENERATORS:
        raise ValueError(f"no sample generator for '{fmt}' (known: {', '.join(GENERATORS)})")
    if header and fmt != "zengin-debit":
        raise ValueError(f"header changes are only for zengin-debit samples, not '{fmt}'")
    gen = Generator(random.Random(seed), base_date or dt.date(2026, 5, 27), progress)
    raw = GENERATORS[fmt](gen, records, result=result, **({"header": header} if header else {}))
    if not faults:
        return raw, []
    from kokin.formats import FORMATS

    return inject(raw, FORMATS[fmt].LAYOUT, faults, random.Random(seed + 1))
