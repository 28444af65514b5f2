"""Every message the engine words, in Japanese and English: one function per kind of fault.

The checks find faulty records with array operations; only the records the report lists are worded.
A function returning :data:`Words` words one faulty field from its raw bytes (the engine calls it per
listed record); the others take the values one message needs and return the (Japanese, English) pair.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kokin.formats import dates, kanji
from kokin.formats.charset import describe_byte, in_english

if TYPE_CHECKING:
    import numpy as np

    from kokin.formats.layout import Field, RecordKind

Words = Callable[[bytes], tuple[str, str]]  # a faulty field's bytes → (Japanese, English) message


# -- one field's bytes ---------------------------------------------------------------------------
def digits(f: Field) -> Words:
    def words(raw: bytes) -> tuple[str, str]:
        i = next(j for j, b in enumerate(raw) if not 48 <= b <= 57)
        ch = describe_byte(raw, i)
        return (
            f"{f.ja}の {f.start + i} バイト目 {ch} は数字ではありません",
            f"{f.name} byte {f.start + i} {in_english(ch)} is not a digit",
        )

    return words


def charset(f: Field, ok: np.ndarray) -> Words:
    def words(raw: bytes) -> tuple[str, str]:
        i = next(j for j, b in enumerate(raw) if not ok[b])
        ch = describe_byte(raw, i)
        return (
            f"{f.ja}の {f.start + i} バイト目 {ch} は全銀協の文字セットにない文字です",
            f"{f.name} byte {f.start + i} {in_english(ch)} is not in the Zengin character set",
        )

    return words


def wide(f: Field) -> Words:
    """A full-width field: :func:`kokin.formats.kanji.fault` says what is wrong, after the field's name."""
    return lambda raw: _prefix(f, kanji.fault(raw))


def _prefix(f: Field, words: tuple[str, str]) -> tuple[str, str]:
    return f"{f.ja}: {words[0]}", f"{f.name}: {words[1]}"


def dummy(raw: bytes) -> tuple[str, str]:
    return ("ダミー項目は空白でなければなりません", "a dummy field should be spaces")


#: wordings that do not depend on the field's bytes: their warnings make one group whatever the values
VALUE_FREE: frozenset[Words] = frozenset({dummy})


def unknown_kind(kinds: Sequence[RecordKind]) -> Words:
    codes = "・".join(k.code for k in kinds)
    return lambda raw: (
        f"データ区分 {describe_byte(raw, 0)} は {codes} のいずれかでなければなりません",
        f"data_kind {in_english(describe_byte(raw, 0))} must be one of {codes.replace('・', ', ')}",
    )


def encoding(f: Field, ebcdic: bool | None) -> Words:
    enc = "EBCDIC" if ebcdic else "JIS/シフトJIS"
    return lambda raw: (
        f"{f.ja}「{raw.decode('ascii', 'replace')}」がファイルの文字コード ({enc}) と一致しません",
        f"{f.name} '{raw.decode('ascii', 'replace')}' does not match the file's encoding "
        f"({'EBCDIC' if ebcdic else 'JIS/Shift_JIS'})",
    )


def not_allowed(f: Field, values: Sequence[str]) -> Words:
    allowed = ", ".join(values)
    return lambda raw: (
        f"{f.ja}「{raw.decode('cp932', 'replace')}」は使えません (使える値: {allowed})",
        f"{f.name} '{raw.decode('cp932', 'replace')}' is not allowed (allowed: {allowed})",
    )


def not_a_date(f: Field, style: str) -> Words:
    ja_style, en_style = dates.DESCRIPTIONS[style]
    return lambda raw: (
        f"{f.ja}「{raw.decode('ascii', 'replace')}」は実在する{ja_style}ではありません",
        f"{f.name} '{raw.decode('ascii', 'replace')}' is not a real {en_style}",
    )


def unknown_bank(version: str) -> Words:
    return lambda raw: (
        f"金融機関コード {raw.decode()} は金融機関マスタ ({version}) にありません",
        f"bank code {raw.decode()} is not in the bank master ({version})",
    )


def unknown_branch(version: str) -> Words:
    return lambda raw: (
        f"支店コード {raw.decode()} は金融機関マスタ ({version}) にありません",
        f"branch code {raw.decode()} is not in the bank master ({version})",
    )


# -- one record ----------------------------------------------------------------------------------
def newline_inside(which: str, at: int) -> tuple[str, str]:
    """A CR or LF (``which``) at the 0-based byte ``at`` of a record."""
    return (
        f"レコードの {at + 1} バイト目に {which} があります (区切りはレコードの後の CR LF だけです)",
        f"a {which} at byte {at + 1} inside the record (the only separator is CR LF after a record)",
    )


def out_of_range(f: Field, value: int, key_field: str, code: str, first: int, last: int) -> tuple[str, str]:
    return (
        f"{f.ja} {value} は {key_field}「{code}」の範囲 {first}～{last} の外です",
        f"{f.name} {value} is outside {first}-{last} allowed for {key_field} '{code}'",
    )


def out_of_order(cur: RecordKind, before: RecordKind | None, first: RecordKind) -> tuple[str, str]:
    """``cur`` after ``before`` (None: at the start of a file that must start with ``first``)."""
    if before is None:
        return (
            f"ファイルの先頭が{cur.ja}です ({first.ja}で始まらなければなりません)",
            f"the file starts with a {cur.name} record; it must start with a {first.name}",
        )
    return (f"{before.ja}の後に{cur.ja}は置けません", f"a {cur.name} record cannot follow a {before.name} record")


# -- the whole file ------------------------------------------------------------------------------
def missing_end(final: RecordKind) -> tuple[str, str]:
    return (f"ファイルが{final.ja}で終わっていません", f"the file does not end with a {final.name} record")


def request_total(f: Field, expected: int) -> tuple[str, str]:
    return (
        f"請求データの{f.ja}は 0 でなければなりません ({expected})",
        f"{f.name} must be zero in a request file (is {expected:,})",
    )


def total_unverified(f: Field, expected: int, unreadable: int) -> tuple[str, str]:
    return (
        f"{f.ja} {expected:,} を確認できません (金額が読めないデータレコードが {unreadable:,} 件あります)",
        f"{f.name} {expected:,} cannot be checked: {unreadable:,} data record(s) have an unreadable value",
    )


def total_mismatch(f: Field, expected: int, actual: int) -> tuple[str, str]:
    return (
        f"{f.ja} {expected:,} がデータレコードから求めた {actual:,} と一致しません",
        f"{f.name} {expected:,} does not match {actual:,} computed from the data records",
    )
