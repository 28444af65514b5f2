"""Realistic sample files for every format, deterministic for a seed, with optional injected faults.

Payers, banks and amounts look like a ward's real data: bank and branch codes come from the
``zengin-code`` master (the big city banks, regional banks, shinkin banks and Japan Post Bank, weighted
as a ward's payers use them), amounts follow each revenue item (:mod:`kokin.formats.items`), names
are kana (half width in Zengin fields) or kanji (full width). Same seed and options → same bytes.

The collection kinds (``mpn-receipt``, ``general-receipt``, ``general-receipt-waste``,
``special-receipt``, ``special-breakdown``) follow the ward's billing calendar (:class:`Calendar`):
each item's instalments fall due on fixed months (:data:`DUE_MONTHS`; 特別徴収 on the 10th after the
salary month), payments are dated on bank business days before the file's date and mostly pay what
falls due next, a few pay early or late (延滞金, :func:`late_charge`) or pay years whose accounts are
closed (滞納繰越分). Item mix, OCR/手書 shares and volumes follow the seed (:data:`VOLUMES`,
:data:`HANDWRITTEN`).

>>> raw, _ = generate("special-receipt", 3, seed=1)
>>> from kokin.formats import special_receipt
>>> report = special_receipt.validate(raw)
>>> report.error_count, report.warning_count
(0, 0)

``faults`` injects documented faults (:data:`FAULT_KINDS`) into the built bytes and returns where
they are, so tests can check that validation finds each one at its record and field.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kokin.formats import items
from kokin.formats.bankmaster import master
from kokin.formats.dates import fiscal_year_of
from kokin.formats.debit_csv import master_kana
from kokin.formats.layout import Field, Layout

#: (bank code, weight): city banks, a trust bank, regional banks, shinkin banks, Japan Post Bank
BANK_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("0001", 18), ("0005", 20), ("0009", 16), ("0010", 8), ("0017", 3), ("0288", 2), ("0138", 2),
    ("0134", 1), ("0116", 1), ("1310", 2), ("1344", 2), ("1351", 1), ("1352", 1), ("1356", 1),
    ("9900", 14), ("0036", 2), ("0038", 2), ("0039", 1), ("0040", 1), ("0310", 1),
)  # fmt: skip
SURNAMES = (
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
    ("石川", "イシカワ"), ("前田", "マエダ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("長谷川", "ハセガワ"),
)  # fmt: skip
GIVEN_NAMES = (
    ("太郎", "タロウ"), ("花子", "ハナコ"), ("健二", "ケンジ"), ("陽子", "ヨウコ"), ("翔太", "シヨウタ"),
    ("美咲", "ミサキ"), ("大輔", "ダイスケ"), ("由美", "ユミ"), ("直樹", "ナオキ"), ("恵子", "ケイコ"),
    ("隆", "タカシ"), ("幸子", "サチコ"), ("誠", "マコト"), ("明美", "アケミ"), ("蓮", "レン"),
    ("結衣", "ユイ"), ("拓也", "タクヤ"), ("真由美", "マユミ"), ("浩", "ヒロシ"), ("さくら", "サクラ"),
)  # fmt: skip
INDUSTRIES = ("建設", "商事", "工業", "電機", "運輸", "不動産", "食品", "印刷", "製作所", "設計事務所", "薬局", "歯科")
ENTITY_FORMS = ("株式会社", "有限会社", "合同会社", "医療法人", "社会福祉法人")
TOWNS = ("中央町", "本町", "東町", "西が丘", "南台", "北原", "緑が丘", "桜台", "若葉", "旭町", "栄町", "新町")
RESULT_MIX = (("0", 9500), ("1", 300), ("2", 50), ("3", 80), ("4", 40), ("8", 10), ("9", 20))


@dataclass(frozen=True)
class Fault:
    kind: str
    record: int
    field: str
    description: str


@dataclass
class Generator:
    """Shared random helpers; one per sample run so a seed gives the same file."""

    rng: random.Random
    base_date: dt.date

    def bank_branch(self) -> tuple[str, str, str, str]:
        """(bank code, branch code, bank kana, branch kana) weighted like a ward's payers."""
        m = master()
        codes = [c for c, _ in BANK_WEIGHTS if m.bank(c)]
        weights = [w for c, w in BANK_WEIGHTS if m.bank(c)]
        bank = self.rng.choices(codes, weights)[0]
        branches = _branches_of(bank)
        branch = self.rng.choice(branches)
        return bank, branch, m.banks[bank].kana, m.branches[(bank, branch)].kana

    def person(self) -> tuple[str, str]:
        """(kanji name, katakana name) with a full-width space between family and given name."""
        (sk, sr), (gk, gr) = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
        return f"{sk}　{gk}", f"{sr} {gr}"

    def company(self) -> tuple[str, str]:
        """(kanji name, katakana name) of an employer."""
        sk, sr = self.rng.choice(SURNAMES)
        form = self.rng.choice(ENTITY_FORMS)
        industry = self.rng.choice(INDUSTRIES)
        return f"{form}{sk}{industry}", f"{form}{sr}"

    def address(self) -> tuple[str, str]:
        """(postal code, full-width address) inside the demo ward."""
        town = self.rng.choice(TOWNS)
        chome, ban, go = self.rng.randint(1, 5), self.rng.randint(1, 30), self.rng.randint(1, 20)
        postal = f"15{self.rng.randint(20, 39):02d}{self.rng.randint(0, 999):03d}"
        return postal, f"東京都デモ区{town}{_kanji_number(chome)}丁目{ban}番{go}号"

    def amount(self, low: int, high: int, step: int = 100) -> int:
        return max(step, self.rng.randint(low // step, high // step) * step)

    def date_within(self, days: int) -> dt.date:
        return self.base_date - dt.timedelta(days=self.rng.randint(0, days))


def _kanji_number(n: int) -> str:
    return "〇一二三四五六七八九十"[n]


_BRANCH_CACHE: dict[str, list[str]] = {}


def _branches_of(bank: str) -> list[str]:
    if bank not in _BRANCH_CACHE:
        _BRANCH_CACHE[bank] = sorted(b for (c, b) in master().branches if c == bank)
    return _BRANCH_CACHE[bank]


def _zengin_debit(gen: Generator, records: int, *, result: bool = False, **_: Any) -> bytes:
    from kokin.formats import zengin_debit
    from kokin.formats.kana import normalise_name

    m = master()
    header = {
        "consignor_code": "1310500001",
        "consignor_name": "ﾃﾞﾓｸ ｺｸﾎﾈﾝｷﾝｶ",
        "debit_date": gen.base_date.strftime("%m%d"),
        "bank_code": "0001",
        "bank_name": master_kana(m.banks["0001"].kana),
        "branch_code": "001",
        "branch_name": master_kana(m.branches[("0001", "001")].kana),
        "account_type": "1",
        "account_number": "1234567",
    }
    codes = [c for c, _ in RESULT_MIX]
    weights = [w for _, w in RESULT_MIX]
    out: list[dict[str, Any]] = []
    for i in range(records):
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
    batches = [{"header": header, "records": out[i : i + 999_999]} for i in range(0, max(len(out), 1), 999_999)]
    return zengin_debit.build(batches, result=result)


# -- the collection kinds (収入済データ) -------------------------------------------------------------
#
# A payment in these files pays one instalment (期別) of one fiscal year (調定年度) of one revenue
# item. The generator models the ward's billing calendar: when each item's notice goes out and when
# each instalment is due (納期限, moved to the next bank business day), and draws (payment date,
# item, year, instalment) so that payments cluster in the weeks before a due date, a few come early
# (前納) or late (with 延滞金), and a few pay old years (滞納繰越分). Payment dates are bank business
# days (no Saturdays, Sundays, national holidays or 12/31–1/3) before the file's date.

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
#: 軽自動車税 yearly amounts (原付 50/90/125cc, 小型特殊, 二輪, 三輪, 四輪 乗用・貨物, 13 年超の重課)
LIGHT_VEHICLE_TAX = (2_000, 2_000, 2_000, 2_400, 3_700, 5_900, 3_600, 6_000, 6_000, 3_900, 10_800, 10_800, 10_800,
                     10_800, 7_200, 5_000, 6_900, 12_900, 3_800)  # fmt: skip
WINDOW = 20  # payment dates: this many bank business days before the file's date
LATE_RATES = (0.024, 0.087)  # 延滞金: a year's rate for the first month after the due date, then after


@functools.cache
def _holidays(year: int) -> frozenset[dt.date]:
    import holidays

    try:
        days = holidays.country_holidays("JP", years=year)
    except (NotImplementedError, KeyError):  # pragma: no cover - outside the package's years
        return frozenset()
    return frozenset(days)


def is_business_day(day: dt.date) -> bool:
    """A bank business day: not Saturday, Sunday, a national holiday or 12/31, 1/2, 1/3."""
    if day.weekday() >= 5 or (day.month, day.day) in ((12, 31), (1, 2), (1, 3)):
        return False
    return day not in _holidays(day.year)


def business_days_before(day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` bank business days before ``day``, oldest first."""
    out: list[dt.date] = []
    d = day
    while len(out) < count:
        d -= dt.timedelta(days=1)
        if is_business_day(d):
            out.append(d)
    return out[::-1]


def next_business_day(day: dt.date) -> dt.date:
    """``day`` or, when the bank is closed, the next business day (a due date moves there)."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


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
def _first_payable(item: str, year: int, instalment: int) -> dt.date:
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


def _weight(item: str, date: dt.date, year: int, instalment: int) -> float:
    """How likely a payment on ``date`` is for (year, instalment), relative to the item's volume.

    Most payments come in the month before the due date (特別徴収: between payday and the 10th, most
    near the 10th), a few early (前納) or late; years whose accounts are closed (after May 31 of the
    next year) are paid rarely, less the older they are (滞納繰越分).
    """
    if date < _first_payable(item, year, instalment):
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
                        w = _weight(item, date, year, k) * per
                        if w <= 0:
                            continue
                        kind = "1" if date <= dt.date(year + 1, 5, 31) else "2"
                        total += w
                        self.entries.append(Payment(date, item, year, k, due_date(item, year, k), kind))
                        cum.append(total)
        self.cum = cum

    def draw(self) -> Payment:
        return self.gen.rng.choices(self.entries, cum_weights=self.cum)[0]


def _log_amount(rng: random.Random, low: int, high: int, step: int = 100) -> int:
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return max(low, min(high, int(value) // step * step))


def _item_amount(rng: random.Random, item: str) -> int:
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


def _slip_kind(rng: random.Random, item: str) -> str:
    return "2" if rng.random() < HANDWRITTEN[item] else "1"


def _with_check_digit(digits: str) -> str:
    """Append a modulus-10 weight 3/1 check digit."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)


def _taxpayer(rng: random.Random) -> int:
    return rng.randint(1, 420_000)  # the ward's residents and owners


def _ward_header(gen: Generator, *, wide: bool = False) -> dict[str, Any]:
    m = master()
    return {
        "municipality_code": WARD_CODE,
        "municipality_name": "デモ区" if wide else "ﾃﾞﾓｸ",
        "creation_date": gen.base_date.strftime("%Y%m%d"),
        "bank_code": "0001",
        "bank_name": _bank_kanji("0001") if wide else master_kana(m.banks["0001"].kana),
        "branch_code": "001",
        "branch_name": _branch_kanji("0001", "001") if wide else master_kana(m.branches[("0001", "001")].kana),
    }


def _batches(header: Mapping[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Batches of at most 999,999 records (6-digit sequence numbers and counts)."""
    step = 999_999
    return [{"header": dict(header), "records": records[i : i + step]} for i in range(0, max(len(records), 1), step)]


WARD_CODE = "131105"


def _mpn_receipt(gen: Generator, records: int, **_: Any) -> bytes:
    from kokin.formats import mpn_receipt

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
    for _i in range(records):
        p = cal.draw()
        rng = gen.rng
        bank = gen.bank_branch()[0]
        number = _with_check_digit(f"{p.year:04d}{p.item}{p.instalment:02d}{_taxpayer(rng):011d}")
        out.append(
            {
                "item_code": p.item,
                "assessment_year": f"{p.year:04d}",
                "instalment": f"{p.instalment:02d}",
                "payment_number": number,
                "check_number": f"{rng.randint(1_000, 999_999):06d}",
                "amount": _item_amount(rng, p.item),
                "collecting_bank_code": bank,
                "payment_date": p.date.strftime("%Y%m%d"),
                "payment_kind": p.payment_kind,
                "channel": rng.choices(channels, weights)[0],
            }
        )
    return mpn_receipt.build(_batches(header, out))


def _general(gen: Generator, records: int, *, waste: bool) -> bytes:
    from kokin.formats import general_receipt
    from kokin.formats.kana import normalise_name

    kind = "general-receipt-waste" if waste else "general-receipt"
    cal = Calendar(gen, VOLUMES[kind])
    out = []
    for _i in range(records):
        p = cal.draw()
        rng = gen.rng
        bank, branch = gen.bank_branch()[:2]
        slip = _slip_kind(rng, p.item)
        billed = _item_amount(rng, p.item)
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
    header = _ward_header(gen)
    build = general_receipt.waste.build if waste else general_receipt.build
    return bytes(build(_batches(header, out)))


def _general_receipt(gen: Generator, records: int, **_: Any) -> bytes:
    return _general(gen, records, waste=False)


def _general_receipt_waste(gen: Generator, records: int, **_: Any) -> bytes:
    return _general(gen, records, waste=True)


def _employer_ids(gen: Generator, records: int) -> list[int]:
    """Distinct employers as far as the ward has them (about 14,500 pay in a month)."""
    return gen.rng.sample(range(1, max(15_000, 2 * records) + 1), records)


def employer_number(employer: int) -> str:
    """特別徴収義務者指定番号 (8 digits) of employer ``employer`` (a bijection of 1–90,000,000)."""
    return f"{(employer * 7_919 + 1_000_003) % 90_000_000 + 10_000_000:08d}"


def _employer_amount(employer: int, instalment: int, rng: random.Random) -> int:
    """The monthly tax an employer withholds: its own size, June carrying the year's remainder (端数)."""
    size = random.Random(employer * 31 + 5)
    low, high = items.ITEMS["02"].amounts
    base = max(low, min(high, int(math.exp(size.gauss(math.log(60_000), 1.3))) // 100 * 100))
    if rng.random() < 0.15:  # people joined or left
        base = max(low, min(high, base + rng.randint(-base // 5, base // 5) // 100 * 100))
    return base + (size.randint(0, 11) * 100 if instalment == 6 else 0)


def _special_amounts(rng: random.Random, employer: int, p: Payment) -> tuple[int, int, int]:
    amount = _employer_amount(employer, p.instalment, rng)
    retirement = _log_amount(rng, 1_000, 500_000) if rng.random() < 0.03 else 0
    return amount, retirement, late_charge(amount + retirement, p.days_late)


def _special_receipt(gen: Generator, records: int, **_: Any) -> bytes:
    from kokin.formats import special_receipt

    cal = Calendar(gen, VOLUMES["special-receipt"])
    out = []
    for employer in _employer_ids(gen, records):
        p = cal.draw()
        rng = gen.rng
        bank, branch = gen.bank_branch()[:2]
        amount, retirement, late = _special_amounts(rng, employer, p)
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
    return bytes(special_receipt.build(_batches(_ward_header(gen), out)))


def _special_breakdown(gen: Generator, records: int, **_: Any) -> bytes:
    from kokin.formats import special_breakdown

    cal = Calendar(gen, VOLUMES["special-breakdown"])
    out = []
    for employer in _employer_ids(gen, records):
        p = cal.draw()
        rng = gen.rng
        bank, branch = gen.bank_branch()[:2]
        hub = _aggregating_branch(bank)
        amount, retirement, late = _special_amounts(rng, employer, p)
        name, postal, address = _employer(employer)
        out.append(
            {
                "assessment_year": f"{p.year:04d}",
                "instalment": f"{p.instalment:02d}",
                "agent_bank_code": bank,
                "agent_bank_name": _bank_kanji(bank),
                "aggregating_branch_code": hub,
                "aggregating_branch_name": _branch_kanji(bank, hub),
                "handling_branch_code": branch,
                "handling_branch_name": _branch_kanji(bank, branch),
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
    return bytes(special_breakdown.build(_batches(_ward_header(gen, wide=True), out)))


def _wide(text: str, length: int) -> str:
    """``text`` as a K field holds it (JIS X 0208, documented substitutions), cut to ``length`` bytes."""
    from kokin.formats.kanji import KanjiError, to_field_text

    try:
        wide = to_field_text(text, substitute=True)
    except KanjiError:
        return ""
    return wide[: length // 2]


@functools.cache
def _bank_kanji(bank: str) -> str:
    name = master().banks[bank].name
    if bank == "9900":
        name = "ゆうちょ銀行"
    elif bank < "1000" and not name.endswith("銀行"):
        name += "銀行"
    return _wide(name, 30)


@functools.cache
def _branch_kanji(bank: str, branch: str) -> str:
    return _wide(master().branches[(bank, branch)].name, 30)


@functools.cache
def _aggregating_branch(bank: str) -> str:
    """The branch that collates a bank's breakdowns: its 001 (本店・営業部) when it has one."""
    branches = _branches_of(bank)
    return "001" if "001" in branches else branches[0]


CORPORATE_FORMS = ("株式会社", "株式会社", "株式会社", "有限会社", "合同会社", "一般社団法人")
TRADES = (
    "建設", "工業", "商事", "電機", "運輸", "不動産", "食品", "印刷", "製作所", "設計", "物産", "興業", "技研",
    "システム", "ソフトウェア", "サービス", "企画", "製薬", "化学", "精機", "交通", "住宅", "土木", "電設",
    "ホールディングス", "コンサルティング", "エンジニアリング", "ネットワーク", "メディカル", "フーズ",
)  # fmt: skip
PLACES = (
    "東京", "城南", "日本", "第一", "大和", "太平洋", "富士", "旭", "青葉", "中央", "東洋", "共栄", "三和",
    "協和", "光和", "昭和", "大成", "丸の内", "さくら", "みどり", "ひかり", "関東", "武蔵野", "目黒", "品川",
)  # fmt: skip
SHOPS = (
    "商店",
    "歯科医院",
    "内科クリニック",
    "税理士事務所",
    "工務店",
    "酒店",
    "薬局",
    "美容室",
    "法律事務所",
    "整骨院",
)
CITIES = (
    ("100", "東京都千代田区", ("丸の内", "大手町", "有楽町", "神田小川町", "九段南")),
    ("105", "東京都港区", ("芝", "新橋", "虎ノ門", "浜松町", "海岸")),
    ("160", "東京都新宿区", ("西新宿", "新宿", "四谷", "高田馬場")),
    ("141", "東京都品川区", ("大崎", "五反田", "東五反田", "西品川")),
    ("150", "東京都渋谷区", ("渋谷", "道玄坂", "恵比寿", "神宮前")),
    ("103", "東京都中央区", ("日本橋", "日本橋本町", "京橋", "八丁堀")),
    ("220", "神奈川県横浜市西区", ("みなとみらい", "高島", "北幸")),
    ("330", "埼玉県さいたま市大宮区", ("桜木町", "大門町", "宮町")),
    ("260", "千葉県千葉市中央区", ("富士見", "中央", "新町")),
    ("530", "大阪府大阪市北区", ("梅田", "曽根崎", "中之島")),
)  # fmt: skip


@functools.lru_cache(maxsize=65_536)
def _employer(employer: int) -> tuple[str, str, str]:
    """(name, postal code, address) of employer ``employer``: the same in every file and run."""
    r = random.Random(employer * 1_000_003 + 7)
    surname = r.choice(SURNAMES)[0]
    roll = r.random()
    if roll < 0.12:
        name = f"{surname}{r.choice(SHOPS)}"
    elif roll < 0.17:
        name = f"{r.choice(('医療法人社団', '社会福祉法人'))}{r.choice(PLACES)}会"
    else:
        form, stem = r.choice(CORPORATE_FORMS), r.choice((surname, r.choice(PLACES)))
        trade = r.choice(TRADES)
        name = f"{form}{stem}{trade}" if r.random() < 0.8 else f"{stem}{trade}{form}"
    if r.random() < 0.3:  # in the ward itself
        town = r.choice(TOWNS)
        postal = f"152{r.randint(0, 99):04d}"
        place = f"東京都デモ区{town}"
    else:
        prefix, city, towns = r.choice(CITIES)
        postal = f"{prefix}{r.randint(1, 9999):04d}"
        place = f"{city}{r.choice(towns)}"
    address = f"{place}{_kanji_number(r.randint(1, 9))}丁目{r.randint(1, 30)}番{r.randint(1, 25)}号"
    if r.random() < 0.5:
        address += f"　{r.choice(PLACES)}ビル{r.randint(1, 12)}階"
    return _wide(name, 60), postal, _wide(address, 120)


#: format name → generator of a whole valid file
GENERATORS: dict[str, Callable[..., bytes]] = {
    "zengin-debit": _zengin_debit,
    "mpn-receipt": _mpn_receipt,
    "general-receipt": _general_receipt,
    "general-receipt-waste": _general_receipt_waste,
    "special-receipt": _special_receipt,
    "special-breakdown": _special_breakdown,
}


def generate(
    fmt: str, records: int, *, seed: int = 0, faults: int = 0, result: bool = False, base_date: dt.date | None = None
) -> tuple[bytes, list[Fault]]:
    """A valid sample file of ``fmt`` with ``records`` data records, then ``faults`` injected faults."""
    if fmt not in GENERATORS:
        raise ValueError(f"no sample generator for '{fmt}' (known: {', '.join(GENERATORS)})")
    gen = Generator(random.Random(seed), base_date or dt.date(2026, 5, 27))
    raw = GENERATORS[fmt](gen, records, result=result)
    if not faults:
        return raw, []
    from kokin.formats import FORMATS

    return inject(raw, FORMATS[fmt].LAYOUT, faults, random.Random(seed + 1))


FAULT_KINDS = {
    "digit": ("N 項目に数字以外の文字", "a non-digit in a numeric field"),
    "charset": ("カナ項目に小文字", "a lower-case letter in a kana field"),
    "kanji": ("全角項目に半角カナ", "half-width kana in a full-width field"),
    "machine": ("全角項目に機種依存文字 (髙)", "a machine-dependent character (髙) in a full-width field"),
    "split": ("2バイト文字が項目の境界で分断", "a double-byte character split at the end of a full-width field"),
    "date": ("実在しない日付 (13月)", "an impossible date (month 13)"),
    "allowed": ("使えないコード値", "a code outside the allowed values"),
    "total": ("トレーラーの合計が不一致", "a trailer total that does not match"),
}


def inject(raw: bytes, layout: Layout, count: int, rng: random.Random) -> tuple[bytes, list[Fault]]:
    """Put ``count`` faults into distinct fields of a valid CR LF file; return the bytes and where.

    Every sixth fault is a trailer total (each trailer's numeric fields in turn), the others go into
    distinct data records (one field each). Works for any record length and for K (full-width) fields.
    Fewer faults are made only when the file has too few data records.
    """
    stride = layout.record_length + 2
    data = bytearray(raw)
    kinds = {k.code.encode("ascii")[0]: k for k in layout.kinds}
    numbers = list(range(len(data) // stride))
    data_code, trailer_code = (ord(layout.kind(name).code) for name in ("data", "trailer"))
    data_rows = [i for i in numbers if data[i * stride + layout.kind_position - 1] == data_code]
    trailer_rows = [i for i in numbers if data[i * stride + layout.kind_position - 1] == trailer_code]
    # totals that only result files check would turn a request file into a result file: left alone
    result_only = {t.field for t in layout.totals if t.mode == "result"}
    trailer_fields = [f for f in layout.kind("trailer").fields if f.numeric and f.name not in result_only]
    totals = [(row, f) for f in trailer_fields for row in trailer_rows]  # each trailer's count first
    rng.shuffle(data_rows)
    faults: list[Fault] = []
    for n in range(count):
        if n % 6 == 5 and totals:
            row, f = totals.pop(0)
            _set(data, row * stride, f, str((int(_get(data, row * stride, f)) + 1) % 10**f.length).zfill(f.length))
            faults.append(Fault("total", row + 1, f.name, FAULT_KINDS["total"][1]))
            continue
        if not data_rows:
            break
        row = data_rows.pop()
        kind = kinds[data[row * stride + layout.kind_position - 1]]
        fault = _fault_in(kind.fields, rng)
        if fault is None:
            continue
        name, f = fault
        value = _bad_value(name, f)
        _set(data, row * stride, f, value)
        faults.append(Fault(name, row + 1, f.name, FAULT_KINDS[name][1]))
    return bytes(data), sorted(faults, key=lambda f: (f.record, f.field))


def _bad_value(kind: str, f: Field) -> bytes:
    """The bytes of field ``f`` that validation must reject as a fault of ``kind``."""
    if kind == "digit":
        return b"A".rjust(f.length, b"0")
    if kind == "charset":
        return b"a".ljust(f.length)
    if kind == "kanji":
        return "ｱ".encode("cp932").ljust(f.length)
    if kind == "machine":
        return "髙".encode("cp932") + "　".encode("cp932") * (f.length // 2 - 1)
    if kind == "split":  # the last byte is a lead byte: its trail byte would be the next field's first
        return "　".encode("cp932") * (f.length // 2 - 1) + b" " + "日".encode("cp932")[:1]
    if kind == "date":
        return {"yyyymmdd": b"20251301", "mmdd": b"1301", "wareki": b"5071301"}[str(f.date)]
    value = next(v for v in ("7" * f.length, "5" * f.length, "0" * f.length) if v not in (f.allowed or ()))
    return value.encode("ascii")


def _fault_in(fields: tuple[Field, ...], rng: random.Random) -> tuple[str, Field] | None:
    choices: list[tuple[str, Field]] = []
    for f in fields:
        if f.dummy or f.name == "data_kind":
            continue
        if f.type == "K":
            choices.append(("kanji", f))
        elif f.type == "C":
            choices.append(("charset", f))
        elif f.date in ("yyyymmdd", "mmdd", "wareki"):
            choices.append(("date", f))
        elif f.allowed and len(f.allowed) < 10**f.length:
            choices.append(("allowed", f))
        elif not f.lookup and not f.ranges:
            choices.append(("digit", f))
    if not choices:
        return None
    name, f = rng.choice(choices)
    if name == "kanji":
        name = rng.choice(("kanji", "machine", "split"))
    return name, f


def _get(data: bytearray, offset: int, f: Field) -> str:
    return data[offset + f.start - 1 : offset + f.end].decode("ascii")


def _set(data: bytearray, offset: int, f: Field, value: bytes | str) -> None:
    encoded = value.encode("cp932") if isinstance(value, str) else value
    assert len(encoded) == f.length, (f.name, value)
    data[offset + f.start - 1 : offset + f.end] = encoded


# -- building blocks the bank simulator (kokin.bank.sim_collect) reuses -----------------------------
# Public names for the calendar, amount and naming helpers above, so the simulator draws its synthetic
# payers from the same model as the sample files instead of a copy of it.

#: how likely a payment on a date is for (item, fiscal year, instalment) — the billing calendar's weight
payment_weight = _weight
first_payable = _first_payable
item_amount = _item_amount
special_amounts = _special_amounts
employer_details = _employer
bank_kanji = _bank_kanji
branch_kanji = _branch_kanji
aggregating_branch = _aggregating_branch
branches_of = _branches_of
with_check_digit = _with_check_digit


def ward_header(day: dt.date, *, wide: bool = False) -> dict[str, Any]:
    """The demo ward's collection-file header fields (designated bank 0001/001) for a file of ``day``."""
    return _ward_header(Generator(random.Random(0), day), wide=wide)
