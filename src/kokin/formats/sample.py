"""Realistic sample files for every format, deterministic for a seed, with optional injected faults.

Payers, banks and amounts look like a ward's real data: bank and branch codes come from the
``zengin-code`` master (the big city banks, regional banks, shinkin banks and Japan Post Bank, weighted
as a ward's payers use them), amounts follow each revenue item (:mod:`kokin.formats.items`), names
are kana (half width in Zengin fields) or kanji (full width). Same seed and options → same bytes.

``faults`` injects documented faults (:data:`FAULT_KINDS`) into the built bytes and returns where
they are, so tests can check that validation finds each one at its record and field.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kokin.formats.bankmaster import master
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


#: format name → generator of a whole valid file
GENERATORS: dict[str, Callable[..., bytes]] = {"zengin-debit": _zengin_debit}


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
    "date": ("実在しない日付 (13月)", "an impossible date (month 13)"),
    "allowed": ("使えないコード値", "a code outside the allowed values"),
    "total": ("トレーラーの合計が不一致", "a trailer total that does not match"),
}


def inject(raw: bytes, layout: Layout, count: int, rng: random.Random) -> tuple[bytes, list[Fault]]:
    """Put ``count`` faults into distinct records of a valid CR LF file; return the bytes and where."""
    stride = layout.record_length + 2
    data = bytearray(raw)
    kinds = {k.code.encode("ascii")[0]: k for k in layout.kinds}
    numbers = list(range(len(data) // stride))
    data_rows = [i for i in numbers if data[i * stride] == ord("2")]
    trailer_rows = [i for i in numbers if data[i * stride] == ord("8")]
    rng.shuffle(data_rows)
    faults: list[Fault] = []
    for n in range(count):
        if n % 6 == 5 and trailer_rows:
            row = trailer_rows[(n // 6) % len(trailer_rows)]
            if any(f.record == row + 1 for f in faults):
                continue
            kind = kinds[data[row * stride]]
            f = next(f for f in kind.fields if f.numeric)
            _set(data, row * stride, f, str((int(_get(data, row * stride, f)) + 1) % 10**f.length).zfill(f.length))
            faults.append(Fault("total", row + 1, f.name, FAULT_KINDS["total"][1]))
            continue
        if not data_rows:
            break
        row = data_rows.pop()
        kind = kinds[data[row * stride]]
        fault = _fault_in(kind.fields, rng)
        if fault is None:
            continue
        name, f = fault
        value = _bad_value(name, f)
        _set(data, row * stride, f, value)
        faults.append(Fault(name, row + 1, f.name, FAULT_KINDS[name][1]))
    return bytes(data), sorted(faults, key=lambda f: f.record)


def _bad_value(kind: str, f: Field) -> str:
    """A value of field ``f`` that validation must reject as a fault of ``kind``."""
    if kind == "digit":
        return "A".rjust(f.length, "0")
    if kind == "charset":
        return "a".ljust(f.length)
    if kind == "kanji":
        return "ｱ".ljust(f.length)
    if kind == "date":
        return {"yyyymmdd": "20251301", "mmdd": "1301", "wareki": "5071301"}[str(f.date)]
    return next(v for v in ("7" * f.length, "5" * f.length, "0" * f.length) if v not in (f.allowed or ()))


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
    return rng.choice(choices) if choices else None


def _get(data: bytearray, offset: int, f: Field) -> str:
    return data[offset + f.start - 1 : offset + f.end].decode("ascii")


def _set(data: bytearray, offset: int, f: Field, value: str) -> None:
    encoded = value.encode("cp932")
    assert len(encoded) == f.length, (f.name, value)
    data[offset + f.start - 1 : offset + f.end] = encoded
