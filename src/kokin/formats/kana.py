"""Zengin name normalisation (全銀協 名寄せ用 半角カナ変換).

Name fields in Zengin bank files (委託者名, 預金者名, 受取人名 …) may hold only half-width katakana
ｱ–ﾝ, ｦ, ﾞ, ﾟ, digits, A–Z, space and ``( ) - . / , ｢ ｣ \\`` (byte 0x5C, printed as ¥), each one byte
in cp932. The set comes from the 全銀協規定フォーマット; the project's rules are in
``design/formats.md``, section "Characters allowed in name fields". Operators type names in full
width, hiragana or with small kana, so before a name goes into a record it is converted the way banks
expect (名寄せ-safe):

* full width → half width, hiragana → katakana, lower → upper case;
* small kana → large (ｬ → ﾔ, ｯ → ﾂ, ヶ → ｹ, ヵ → ｶ), ヰ → ｲ, ヱ → ｴ, long vowel ｰ → ``-``, ･ → ``.``;
* voiced kana split into base + ﾞ/ﾟ (ガ → ｶﾞ), which is why a 30-byte field holds fewer than 30 kana;
* legal-entity words become the bank abbreviations: 株式会社ヤマダ → ``ｶ)ﾔﾏﾀﾞ`` (start),
  ヤマダ株式会社 → ``ﾔﾏﾀﾞ(ｶ`` (end), ヤマダ株式会社シテン → ``ﾔﾏﾀﾞ(ｶ)ｼﾃﾝ`` (middle);
* runs of spaces collapse to one; leading and trailing spaces go.

What cannot be converted is an error naming the character and its position, never a silent drop. A
name longer than the field is an error unless truncation is asked for (and then it is reported).

>>> normalise_name('やまだ　たろう').value
'ﾔﾏﾀﾞ ﾀﾛｳ'
>>> normalise_name('キャノン株式会社').value
'ｷﾔﾉﾝ(ｶ'
>>> normalise_name('ｶ)ﾔﾏﾀﾞ').value  # already in bank form: unchanged
'ｶ)ﾔﾏﾀﾞ'
>>> normalise_name('ｶﾞｸ)ｱｵﾊﾞｶﾞｸｴﾝ', length=9, truncate=True)
NormalisedName(value='ｶﾞｸ)ｱｵﾊﾞ', original='ｶﾞｸ)ｱｵﾊﾞｶﾞｸｴﾝ', truncated=True, dropped='ｶﾞｸｴﾝ')
>>> normalise_name('ヤマダ商店')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
NameConversionError: 「商」(4文字目) は全銀協の文字に変換できません / "商" (character 4) cannot be ...
>>> normalise_name('ヤマダタロウ', length=5)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
NameConversionError: 「ﾔﾏﾀﾞﾀﾛｳ」は7バイトで、上限の5バイトを超えています / "ﾔﾏﾀﾞﾀﾛｳ" is 7 bytes, ...
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import jaconv

from kokin.formats.charset import ZENGIN_CHARS
from kokin.formats.errors import KokinError

__all__ = ["NameConversionError", "NormalisedName", "normalise_name"]

#: Legal-entity words and the abbreviations banks use for them (法人略語).
ENTITY_ABBREVIATIONS: dict[str, str] = {
    "株式会社": "ｶ",
    "有限会社": "ﾕ",
    "合名会社": "ﾒ",
    "合資会社": "ｼ",
    "合同会社": "ﾄﾞ",
    "医療法人": "ｲ",
    "財団法人": "ｻﾞｲ",
    "社団法人": "ｼﾔ",
    "宗教法人": "ｼﾕｳ",
    "学校法人": "ｶﾞｸ",
    "社会福祉法人": "ﾌｸ",
    "相互会社": "ｿ",
    "特定非営利活動法人": "ﾄｸﾋ",
    "独立行政法人": "ﾄﾞｸ",
    "地方独立行政法人": "ﾁﾄﾞｸ",
    "弁護士法人": "ﾍﾞﾝ",
    "税理士法人": "ｾﾞｲ",
    "国立大学法人": "ﾀﾞｲ",
    "農事組合法人": "ﾉｳ",
}
# Longest first, so that 地方独立行政法人 wins over 独立行政法人.
_ENTITY_RE = re.compile("|".join(sorted(ENTITY_ABBREVIATIONS, key=len, reverse=True)))

_VOICE_MARKS = "ﾞﾟ"
# Small (and obsolete) full-width katakana → the large kana banks use; applied before z2h.
_LARGE_KANA = str.maketrans("ァィゥェォャュョッヮヵヶヰヱ", "アイウエオヤユヨツワカケイエ")
_SPECIAL: dict[str, str] = {
    **dict(zip("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ", strict=True)),
    **dict.fromkeys("ーｰ‐‑‒–—―−", "-"),
    **dict.fromkeys("・･", "."),
    **dict.fromkeys("¥￥", "\\"),
    **dict.fromkeys("\u3000\u00a0", " "),
    **dict.fromkeys("゛\u3099", "ﾞ"),
    **dict.fromkeys("゜\u309a", "ﾟ"),
    "「": "｢",
    "」": "｣",
}


def _build_table() -> dict[str, str]:
    """Map every convertible character to its Zengin form (characters not in the table stay as is)."""
    table: dict[str, str] = {}
    for code in range(0x3041, 0x3100):  # hiragana and katakana
        ch = chr(code)
        kata = unicodedata.normalize("NFD", jaconv.hira2kata(ch)).translate(_LARGE_KANA)
        half = jaconv.z2h(kata, kana=True, ascii=False, digit=False)
        half = half.replace("\u3099", "ﾞ").replace("\u309a", "ﾟ")
        if half != ch and all(c in ZENGIN_CHARS for c in half):
            table[ch] = half
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[chr(code)] = chr(code - 0xFEE0).upper()
    for code in range(ord("a"), ord("z") + 1):
        table[chr(code)] = chr(code).upper()
    table.update(_SPECIAL)
    return table


_TABLE = _build_table()


@functools.lru_cache(maxsize=32)
def _usable(allowed: frozenset[str]) -> frozenset[str]:
    """The allowed characters that cp932 can encode (a profile may not add anything else)."""

    def encodable(ch: str) -> bool:
        try:
            ch.encode("cp932")
        except UnicodeEncodeError:
            return False
        return len(ch) == 1

    return frozenset(ch for ch in allowed if encodable(ch))


@dataclass(frozen=True)
class NormalisedName:
    """A name converted for a Zengin C field."""

    value: str  #: the converted name; every character is allowed, cp932 length within ``length``
    original: str  #: the input as given
    truncated: bool = False  #: True when the name was cut to fit ``length``
    dropped: str = ""  #: what truncation cut off (``value + dropped`` is the whole converted name)


class NameConversionError(KokinError, ValueError):
    """A name cannot be written in a Zengin field: a character has no Zengin form, or it is too long.

    ``char`` and ``position`` (0-based, in the input) name the first offending character; both are
    None when the name is too long.
    """

    def __init__(self, text: str, char: str | None, position: int | None, message_ja: str, message_en: str) -> None:
        super().__init__(message_ja, message_en)
        self.text = text
        self.char = char
        self.position = position

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.text, self.char, self.position, self.message_ja, self.message_en))


def _char_error(text: str, position: int, in_zengin_set: bool) -> NameConversionError:
    ch = text[position]
    shown = ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
    nth = position + 1
    if in_zengin_set:
        ja = f"「{shown}」({nth}文字目) はこの銀行の文字セットでは使えません"
        en = f'"{shown}" (character {nth}) is not allowed by this bank\'s character set'
    else:
        ja = f"「{shown}」({nth}文字目) は全銀協の文字に変換できません"
        en = f'"{shown}" (character {nth}) cannot be converted to the Zengin character set'
    return NameConversionError(text, ch, position, ja, en)


def normalise_name(
    text: str, *, length: int | None = None, truncate: bool = False, allowed: frozenset[str] = ZENGIN_CHARS
) -> NormalisedName:
    """Convert ``text`` for a Zengin name field of ``length`` bytes (no limit when None).

    The conversion rules are fixed; ``allowed`` (a bank profile's set) only decides which converted
    characters are accepted, so a profile may refuse ``,`` or accept a character that has no rule.
    Spaces next to an entity abbreviation go (株式会社 ヤマダ → ``ｶ)ﾔﾏﾀﾞ``); an entity word alone
    takes the start form (``ｶ)``).

    Raises NameConversionError for a character that has no form in ``allowed`` (the first one, in
    input order) and for a name longer than ``length`` bytes unless ``truncate`` is true; then the
    name is cut at a byte boundary, never between a kana and its ﾞ/ﾟ, and trailing spaces go.
    """
    if length is not None and length < 0:
        raise ValueError(f"length must not be negative: {length}")
    usable = _usable(allowed)
    # Tokens: (converted text, input position, entity abbreviation or None); spaces are ' '.
    tokens: list[tuple[str, int, str | None]] = []
    i = 0
    while i < len(text):
        match = _ENTITY_RE.match(text, i)
        if match:
            tokens.append(("", i, ENTITY_ABBREVIATIONS[match.group()]))
            i = match.end()
            continue
        converted = _TABLE.get(text[i], text[i])
        is_space = converted == " "
        after_space_or_entity = not tokens or tokens[-1][0] == " " or tokens[-1][2] is not None
        if is_space and after_space_or_entity:
            i += 1  # leading, repeated, or just after an entity word
            continue
        tokens.append((converted, i, None))
        i += 1
    # Drop spaces before entity words and at the end.
    tokens = [
        tok for k, tok in enumerate(tokens) if tok[0] != " " or (k + 1 < len(tokens) and tokens[k + 1][2] is None)
    ]
    parts: list[str] = []
    for k, (converted, pos, abbr) in enumerate(tokens):
        if abbr is not None:
            if k == 0:
                converted = f"{abbr})"
            elif k == len(tokens) - 1:
                converted = f"({abbr}"
            else:
                converted = f"({abbr})"
        for ch in converted:
            if ch not in usable:
                raise _char_error(text, pos, ch in ZENGIN_CHARS)
        parts.append(converted)
    value = "".join(parts)
    size = len(value.encode("cp932"))
    if length is None or size <= length:
        return NormalisedName(value, text)
    if not truncate:
        ja = f"「{value}」は{size}バイトで、上限の{length}バイトを超えています"
        en = f'"{value}" is {size} bytes, longer than the limit of {length}'
        raise NameConversionError(text, None, None, ja, en)
    cut, used = 0, 0
    while used + len(value[cut].encode("cp932")) <= length:
        used += len(value[cut].encode("cp932"))
        cut += 1
    while cut and value[cut] in _VOICE_MARKS:  # keep a kana together with its ﾞ/ﾟ
        cut -= 1
    kept = value[:cut].rstrip(" ")
    return NormalisedName(kept, text, truncated=True, dropped=value[len(kept) :])
