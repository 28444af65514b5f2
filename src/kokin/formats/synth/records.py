"""One generator per format: a whole valid file of a number of data records, drawn with a :class:`Generator`.

The direct debit request (口座振替, ``zengin-debit``; with ``result`` a result file with a realistic mix
of result codes) and the five collection kinds (``mpn-receipt``, ``general-receipt``,
``general-receipt-waste``, ``special-receipt``, ``special-breakdown``), whose payments come from the
ward's billing calendar (:class:`~kokin.formats.synth.calendar.Calendar`). Item mix, OCR/手書 shares and
volumes follow the seed (:data:`VOLUMES`, :data:`HANDWRITTEN`). :data:`GENERATORS` maps each format name
to its generator.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from typing import Any

from kokin.formats.bankmaster import master
from kokin.formats.debit_csv import master_kana
from kokin.formats.synth.calendar import Calendar, item_amount, late_charge, special_amounts
from kokin.formats.synth.people import (
    Generator,
    aggregating_branch,
    bank_kanji,
    branch_kanji,
    employer_details,
    employer_number,
)

# -- the direct debit (口座振替) ------------------------------------------------------------------

#: result codes (振替結果コード) of a result file, per 10,000 records
RESULT_MIX = (("0", 9500), ("1", 300), ("2", 50), ("3", 80), ("4", 40), ("8", 10), ("9", 20))


def _zengin_debit(
    gen: Generator, records: int, *, result: bool = False, header: dict[str, str] | None = None, **_: Any
) -> bytes:
    from kokin.formats.kana import normalise_name
    from kokin.formats.kinds import zengin_debit

    m = master()
    head = {
        # the demo ward's 税務課 (住民税 口座振替, kokin.demo.ward.CONSIGNOR_CODES): its sample request
        "consignor_code": "1310500001",
        "consignor_name": "ﾃﾞﾓｸ ｾﾞｲﾑｶ",
        "debit_date": gen.base_date.strftime("%m%d"),
        "bank_code": "0001",
        "bank_name": master_kana(m.banks["0001"].kana),
        "branch_code": "001",
        "branch_name": master_kana(m.branches[("0001", "001")].kana),
        "account_type": "1",
        "account_number": "1234567",
        **(header or {}),
    }
    codes = [c for c, _ in RESULT_MIX]
    weights = [w for _, w in RESULT_MIX]
    out: list[dict[str, Any]] = []
    for i in gen.each(range(records)):
        bank, branch, bank_kana, branch_kana = gen.bank_branch()
        _kanji, kana = gen.person() if gen.rng.random() < 0.97 else gen.company()
        out.append(
            {
                "bank_code": bank,
                "bank_name": master_kana(bank_kana),
                "branch_code": branch,
                "branch_name": master_kana(branch_kana),
                "account_type": "1" if gen.rng.random() < 0.93 else gen.rng.choice("239"),
                "account_number": f"{gen.rng.randint(0, 9_999_999):07d}",
                "holder_name": normalise_name(kana, length=30, truncate=True).value,
                "amount": gen.amount(1_000, 120_000),
                "new_code": "1" if gen.rng.random() < 0.03 else "0",
                "customer_number": f"{20_000_000 + i:020d}",
                "result_code": gen.rng.choices(codes, weights)[0] if result else "0",
            }
        )
    batches = [{"header": head, "records": out[i : i + 999_999]} for i in range(0, max(len(out), 1), 999_999)]
    return zengin_debit.build(batches, result=result)


# -- the collection kinds (収入済データ) ----------------------------------------------------------

#: yearly records per kind and item in the seed (design/formats.md §3); items without a volume do not occur
VOLUMES: dict[str, dict[str, int]] = {
    "mpn-receipt": {"01": 5_742, "03": 1_807, "11": 3_692},
    # 税務課 1,430 split 住民税 : 軽自動車税 as in its MPN volumes; 国保 1,405, 後期高齢 12,559, 介護 15,515
    "general-receipt": {"01": 1_089, "03": 341, "11": 1_405, "12": 12_559, "21": 15_515},
    "general-receipt-waste": {"31": 669},
    "special-receipt": {"02": 182_893},
    "special-breakdown": {"02": 174_402},
}
#: share of handwritten (手書) slips per item: 税務課 1 of 1,430, 特別徴収 20,872 of 182,893, 介護 0 of 15,515;
#: the seed does not split 国保年金課 (taken as 税務課) or the waste fees (taken as 2%)
HANDWRITTEN = {"01": 1 / 1_430, "03": 1 / 1_430, "11": 1 / 1_430, "12": 1 / 1_430, "21": 0.0, "31": 0.02}
HANDWRITTEN["02"] = 20_872 / (162_021 + 20_872)
#: MPN channels: counter, ATM, internet banking, mobile banking, other
CHANNEL_MIX = (("1", 14), ("2", 22), ("3", 44), ("4", 18), ("9", 2))


def _slip_kind(rng: random.Random, item: str) -> str:
    return "2" if rng.random() < HANDWRITTEN[item] else "1"


def with_check_digit(digits: str) -> str:
    """Append a modulus-10 weight 3/1 check digit."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)


def _taxpayer(rng: random.Random) -> int:
    return rng.randint(1, 420_000)  # the ward's residents and owners


def ward_header(day: dt.date, *, wide: bool = False) -> dict[str, Any]:
    """The demo ward's collection-file header fields (designated bank 0001/001) for a file of ``day``."""
    m = master()
    return {
        "municipality_code": WARD_CODE,
        "municipality_name": "デモ区" if wide else "ﾃﾞﾓｸ",
        "creation_date": day.strftime("%Y%m%d"),
        "bank_code": "0001",
        "bank_name": bank_kanji("0001") if wide else master_kana(m.banks["0001"].kana),
        "branch_code": "001",
        "branch_name": branch_kanji("0001", "001") if wide else master_kana(m.branches[("0001", "001")].kana),
    }


def _batches(header: Mapping[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Batches of at most 999,999 records (6-digit sequence numbers and counts)."""
    step = 999_999
    return [{"header": dict(header), "records": records[i : i + step]} for i in range(0, max(len(records), 1), step)]


WARD_CODE = "131105"


def _mpn_receipt(gen: Generator, records: int, **_: Any) -> bytes:
    from kokin.formats.kinds import mpn_receipt

    m = master()
    cal = Calendar(gen, VOLUMES["mpn-receipt"])
    header = {
        "collector_number": WARD_CODE[:5],
        "collector_name": "ﾃﾞﾓｸ",
        "creation_date": gen.base_date.strftime("%Y%m%d"),
        "bank_code": "0001",
        "bank_name": master_kana(m.banks["0001"].kana),
        "branch_code": "001",
        "branch_name": master_kana(m.branches[("0001", "001")].kana),
        "report_kind": "2",
    }
    channels, weights = [c for c, _ in CHANNEL_MIX], [w for _, w in CHANNEL_MIX]
    out = []
    for _i in gen.each(range(records)):
        p = cal.draw()
        rng = gen.rng
        bank = gen.bank_branch()[0]
        number = with_check_digit(f"{p.year:04d}{p.item}{p.instalment:02d}{_taxpayer(rng):011d}")
        out.append(
            {
                "item_code": p.item,
                "assessment_year": f"{p.year:04d}",
                "instalment": f"{p.instalment:02d}",
                "payment_number": number,
                "check_number": f"{rng.randint(1_000, 999_999):06d}",
                "amount": item_amount(rng, p.item),
                "collecting_bank_code": bank,
                "payment_date": p.date.strftime("%Y%m%d"),
                "payment_kind": p.payment_kind,
                "channel": rng.choices(channels, weights)[0],
            }
        )
    return mpn_receipt.build(_batches(header, out))


def _general(gen: Generator, records: int, *, waste: bool) -> bytes:
    from kokin.formats.kana import normalise_name
    from kokin.formats.kinds import general_receipt

    kind = "general-receipt-waste" if waste else "general-receipt"
    cal = Calendar(gen, VOLUMES[kind])
    out = []
    for _i in gen.each(range(records)):
        p = cal.draw()
        rng = gen.rng
        bank, branch = gen.bank_branch()[:2]
        slip = _slip_kind(rng, p.item)
        billed = item_amount(rng, p.item)
        # a handwritten slip is sometimes a part payment (分納) of what was billed
        amount = billed // 2 // 100 * 100 if slip == "2" and rng.random() < 0.3 and billed >= 2_000 else billed
        record: dict[str, Any] = {
            "item_code": p.item,
            "assessment_year": f"{p.year:04d}",
            "instalment": f"{p.instalment:02d}",
            "notice_number": f"{p.year:04d}{p.item}{p.instalment:02d}{_taxpayer(rng):08d}",
            "billed_amount": billed,
            "amount": amount,
            "late_charge": late_charge(amount, p.days_late),
            "collecting_bank_code": bank,
            "collecting_branch_code": branch,
            "payment_date": p.date.strftime("%Y%m%d"),
            "slip_kind": slip,
            "payment_kind": p.payment_kind,
        }
        if waste:  # the payer paid the fee; the collection agent keeps its commission; the ward gets the rest
            rate = rng.choice((0.05, 0.05, 0.1))
            commission = int(billed * rate)
            _kanji, kana = gen.person() if rng.random() < 0.85 else gen.company()
            record.update(
                amount=billed - commission,
                collected_amount=billed,
                commission_amount=commission,
                late_charge=0,
                payer_name=normalise_name(kana, length=40, truncate=True).value,
            )
        out.append(record)
    header = ward_header(gen.base_date)
    build = general_receipt.waste.build if waste else general_receipt.build
    return bytes(build(_batches(header, out)))


def _general_receipt(gen: Generator, records: int, **_: Any) -> bytes:
    return _general(gen, records, waste=False)


def _general_receipt_waste(gen: Generator, records: int, **_: Any) -> bytes:
    return _general(gen, records, waste=True)


def _employer_ids(gen: Generator, records: int) -> list[int]:
    """Distinct employers as far as the ward has them (about 14,500 pay in a month)."""
    return gen.rng.sample(range(1, max(15_000, 2 * records) + 1), records)


def _special_receipt(gen: Generator, records: int, **_: Any) -> bytes:
    from kokin.formats.kinds import special_receipt

    cal = Calendar(gen, VOLUMES["special-receipt"])
    out = []
    for employer in gen.each(_employer_ids(gen, records)):
        p = cal.draw()
        rng = gen.rng
        bank, branch = gen.bank_branch()[:2]
        amount, retirement, late = special_amounts(rng, employer, p)
        out.append(
            {
                "assessment_year": f"{p.year:04d}",
                "instalment": f"{p.instalment:02d}",
                "employer_number": employer_number(employer),
                "amount": amount,
                "retirement_tax": retirement,
                "late_charge": late,
                "collecting_bank_code": bank,
                "collecting_branch_code": branch,
                "payment_date": p.date.strftime("%Y%m%d"),
                "slip_kind": _slip_kind(rng, "02"),
                "payment_kind": p.payment_kind,
            }
        )
    return bytes(special_receipt.build(_batches(ward_header(gen.base_date), out)))


def _special_breakdown(gen: Generator, records: int, **_: Any) -> bytes:
    from kokin.formats.kinds import special_breakdown

    cal = Calendar(gen, VOLUMES["special-breakdown"])
    out = []
    for employer in gen.each(_employer_ids(gen, records)):
        p = cal.draw()
        rng = gen.rng
        bank, branch = gen.bank_branch()[:2]
        hub = aggregating_branch(bank)
        amount, retirement, late = special_amounts(rng, employer, p)
        name, postal, address = employer_details(employer)
        out.append(
            {
                "assessment_year": f"{p.year:04d}",
                "instalment": f"{p.instalment:02d}",
                "agent_bank_code": bank,
                "agent_bank_name": bank_kanji(bank),
                "aggregating_branch_code": hub,
                "aggregating_branch_name": branch_kanji(bank, hub),
                "handling_branch_code": branch,
                "handling_branch_name": branch_kanji(bank, branch),
                "employer_number": employer_number(employer),
                "employer_name": name,
                "postal_code": postal,
                "address": address,
                "amount": amount,
                "retirement_tax": retirement,
                "late_charge": late,
                "collecting_bank_code": "0001",  # paid into the ward's account at the designated bank
                "payment_date": p.date.strftime("%Y%m%d"),
            }
        )
    return bytes(special_breakdown.build(_batches(ward_header(gen.base_date, wide=True), out)))


#: format name → generator of a whole valid file
GENERATORS: dict[str, Callable[..., bytes]] = {
    "zengin-debit": _zengin_debit,
    "mpn-receipt": _mpn_receipt,
    "general-receipt": _general_receipt,
    "general-receipt-waste": _general_receipt_waste,
    "special-receipt": _special_receipt,
    "special-breakdown": _special_breakdown,
}
