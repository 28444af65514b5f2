"""The synthetic ward's people: payers and employers, their names and addresses, and the banks they use.

Everything a generated record says about who pays: kana and kanji names of residents and companies,
addresses in the demo ward, employers with the same name and address for a number in every file, and
bank and branch codes from the ``zengin-code`` master weighted as a ward's payers use them
(:data:`BANK_WEIGHTS`). :class:`Generator` holds a run's random source and file date. The bank
simulator (:mod:`kokin.bank`) draws its payers from the same vocabulary and naming helpers.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from kokin.formats.bankmaster import master
from kokin.formats.progress import Tick, counted

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

T = TypeVar("T")


@dataclass
class Generator:
    """Shared random helpers; one per sample run so a seed gives the same file."""

    rng: random.Random
    base_date: dt.date
    #: told how many records are drawn, for a progress bar (:mod:`kokin.formats.progress`)
    progress: Tick | None = None

    def each(self, items: Iterable[T]) -> Iterator[T]:
        """``items`` one by one, telling :attr:`progress` as they are drawn."""
        return counted(items, self.progress)

    def bank_branch(self) -> tuple[str, str, str, str]:
        """(bank code, branch code, bank kana, branch kana) weighted like a ward's payers."""
        m = master()
        codes = [c for c, _ in BANK_WEIGHTS if m.bank(c)]
        weights = [w for c, w in BANK_WEIGHTS if m.bank(c)]
        bank = self.rng.choices(codes, weights)[0]
        branches = branches_of(bank)
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

    def amount(self, low: int, high: int, step: int = 100) -> int:
        return max(step, self.rng.randint(low // step, high // step) * step)


def _kanji_number(n: int) -> str:
    return "〇一二三四五六七八九十"[n]


_BRANCH_CACHE: dict[str, list[str]] = {}


def branches_of(bank: str) -> list[str]:
    """The branch codes of ``bank`` in the master, sorted (read once per bank)."""
    if bank not in _BRANCH_CACHE:
        _BRANCH_CACHE[bank] = sorted(b for (c, b) in master().branches if c == bank)
    return _BRANCH_CACHE[bank]


# -- names in kanji for the full-width (K) fields: banks, branches, employers ----------------------


def _wide(text: str, length: int) -> str:
    """``text`` as a K field holds it (JIS X 0208, documented substitutions), cut to ``length`` bytes."""
    from kokin.formats.kanji import KanjiError, to_field_text

    try:
        wide = to_field_text(text, substitute=True)
    except KanjiError:
        return ""
    return wide[: length // 2]


@functools.cache
def bank_kanji(bank: str) -> str:
    """The bank's name in kanji as a 30-byte K field holds it (with 銀行 where the master leaves it out)."""
    name = master().banks[bank].name
    if bank == "9900":
        name = "ゆうちょ銀行"
    elif bank < "1000" and not name.endswith("銀行"):
        name += "銀行"
    return _wide(name, 30)


@functools.cache
def branch_kanji(bank: str, branch: str) -> str:
    """The branch's name in kanji as a 30-byte K field holds it."""
    return _wide(master().branches[(bank, branch)].name, 30)


@functools.cache
def aggregating_branch(bank: str) -> str:
    """The branch that collates a bank's breakdowns: its 001 (本店・営業部) when it has one."""
    branches = branches_of(bank)
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
def employer_details(employer: int) -> tuple[str, str, str]:
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


def employer_number(employer: int) -> str:
    """特別徴収義務者指定番号 (8 digits) of employer ``employer`` (a bijection of 1–90,000,000)."""
    return f"{(employer * 7_919 + 1_000_003) % 90_000_000 + 10_000_000:08d}"
