"""Full-width (double-byte) fields: names and addresses in kanji, cp932, JIS X 0208 only.

A ``K`` field holds two-byte cp932 characters of JIS X 0208 (the common set every bank system
reads), padded with full-width spaces (or, at the end, half-width spaces). Faults it catches:

* a half-width character or half-width kana inside the field;
* a double-byte character split at the field boundary (its second byte spills into the next field);
* machine-dependent characters (機種依存文字: NEC/IBM extensions such as 髙 ① ㈱) and user-defined
  characters (外字) — reported with the documented substitution when there is one (:data:`SUBSTITUTES`).

>>> to_field_text("ﾔﾏﾀﾞ 1-2")
'ヤマダ　１－２'
>>> to_field_text("髙橋")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
KanjiError: 「髙」は機種依存文字です。「高」に置き換えてください / ...
>>> to_field_text("髙橋", substitute=True)
'高橋'
"""

from __future__ import annotations

import numpy as np

from kokin.formats.errors import KokinError

#: Documented substitutions for characters outside JIS X 0208 (機種依存文字 → 標準文字).
SUBSTITUTES: dict[str, str] = {
    "髙": "高", "﨑": "崎", "德": "徳", "濵": "濱", "栁": "柳", "瀨": "瀬", "黑": "黒",
    "①": "（１）", "②": "（２）", "③": "（３）", "④": "（４）", "⑤": "（５）", "⑥": "（６）", "⑦": "（７）",
    "⑧": "（８）", "⑨": "（９）", "⑩": "（１０）", "Ⅰ": "Ｉ", "Ⅱ": "ＩＩ", "Ⅲ": "ＩＩＩ", "Ⅳ": "ＩＶ", "Ⅴ": "Ｖ",
    "㈱": "（株）", "㈲": "（有）", "㈹": "（代）", "№": "Ｎｏ．", "℡": "ＴＥＬ", "㍻": "平成", "㋿": "令和",
}  # fmt: skip
_STANDARD_LEADS = set(range(0x81, 0x85)) | set(range(0x88, 0xA0)) | set(range(0xE0, 0xEB))
_MACHINE_LEADS = {0x87, 0xED, 0xEE, 0xFA, 0xFB, 0xFC}
_USER_LEADS = set(range(0xF0, 0xFA))


def _pair_table() -> np.ndarray:
    """VALID[lead << 8 | trail]: a JIS X 0208 character in cp932, or two half-width spaces (padding)."""
    table = np.zeros(65536, dtype=np.bool_)
    for lead in _STANDARD_LEADS:
        for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFD)):
            try:
                ch = bytes([lead, trail]).decode("cp932")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                table[lead << 8 | trail] = True
    table[0x2020] = True
    return table


VALID_PAIRS = _pair_table()


class KanjiError(KokinError, ValueError):
    """A full-width value that cannot be written: ``char`` at ``position`` is the first fault."""

    def __init__(self, char: str, position: int, message_ja: str, message_en: str) -> None:
        self.char, self.position = char, position
        super().__init__(message_ja, message_en)


def _split_at(raw: bytes) -> int | None:
    """The 1-based offset of a lead byte whose trail byte lies beyond the field (cp932 boundaries)."""
    i = 0
    while i < len(raw) - 1:
        i += 2 if 0x81 <= raw[i] <= 0x9F or 0xE0 <= raw[i] <= 0xFC else 1
    return i + 1 if i == len(raw) - 1 and (0x81 <= raw[i] <= 0x9F or 0xE0 <= raw[i] <= 0xFC) else None


def fault(raw: bytes) -> tuple[str, str]:
    """Word the first fault of a full-width field's bytes (Japanese, English).

    A double-byte character cut by the end of the field is named first: it breaks the next field too.
    """
    split = _split_at(raw)
    if split is not None:
        return (
            f"{split} バイト目: 2バイト文字が項目の境界で分断されています",
            f"byte {split}: a double-byte character is split at the field boundary",
        )
    i = 0
    padding = False
    while i < len(raw):
        b = raw[i]
        if b == 0x20:
            padding = True
            i += 1
            continue
        offset = i + 1
        if padding:
            return (
                f"{offset} バイト目: 半角空白の後に文字があります",
                f"byte {offset}: a character after half-width spaces",
            )
        if 0xA1 <= b <= 0xDF:
            ch = bytes([b]).decode("cp932")
            return (
                f"{offset} バイト目: 全角項目に半角カナ「{ch}」があります",
                f"byte {offset}: half-width kana '{ch}' in a full-width field",
            )
        if b < 0x80:
            ch = chr(b) if 0x20 < b < 0x7F else f"0x{b:02X}"
            return (
                f"{offset} バイト目: 全角項目に半角文字「{ch}」があります",
                f"byte {offset}: half-width character '{ch}' in a full-width field",
            )
        if i + 1 >= len(raw):
            return (
                f"{offset} バイト目: 2バイト文字が項目の境界で分断されています",
                f"byte {offset}: a double-byte character is split at the field boundary",
            )
        pair = raw[i : i + 2]
        try:
            ch = pair.decode("cp932")
        except UnicodeDecodeError:
            ch = ""
        if b in _USER_LEADS:
            return (
                f"{offset} バイト目: 外字 (0x{pair.hex().upper()}) は使えません",
                f"byte {offset}: user-defined character 0x{pair.hex().upper()} is not allowed",
            )
        if b in _MACHINE_LEADS and ch:
            sub = SUBSTITUTES.get(ch)
            hint_ja = f"「{sub}」に置き換えてください" if sub else "JIS第1・第2水準の文字に置き換えてください"
            hint_en = f"use '{sub}' instead" if sub else "use a JIS X 0208 character"
            return (
                f"{offset} バイト目: 「{ch}」は機種依存文字です。{hint_ja}",
                f"byte {offset}: '{ch}' is a machine-dependent character; {hint_en}",
            )
        if not VALID_PAIRS[b << 8 | raw[i + 1]]:
            return (
                f"{offset} バイト目: 0x{pair.hex().upper()} は cp932 の文字ではありません",
                f"byte {offset}: 0x{pair.hex().upper()} is not a cp932 character",
            )
        i += 2
    return ("全角項目の文字が正しくありません", "invalid full-width field")


def bad_rows(col: np.ndarray) -> np.ndarray:
    """Rows of a full-width column (n × even width) that are not whole JIS X 0208 characters."""
    pairs = np.ascontiguousarray(col).view(">u2")
    return np.asarray((~VALID_PAIRS[pairs]).any(axis=1))


def to_field_text(text: str, *, substitute: bool = False) -> str:
    """Text as it goes into a full-width field: half width → full width, checked against JIS X 0208.

    Machine-dependent characters raise :class:`KanjiError` naming the documented substitution, or
    are replaced when ``substitute`` is set.
    """
    import jaconv

    wide = jaconv.h2z(text, kana=True, ascii=True, digit=True).replace(" ", "　")
    out = []
    for i, ch in enumerate(wide):
        try:
            raw = ch.encode("cp932")
        except UnicodeEncodeError:
            raw = b""
        ok = len(raw) == 2 and raw[0] in _STANDARD_LEADS and bool(VALID_PAIRS[raw[0] << 8 | raw[1]])
        if ok:
            out.append(ch)
            continue
        sub = SUBSTITUTES.get(ch)
        if sub is not None and substitute:
            out.append(sub)
            continue
        hint_ja = f"「{sub}」に置き換えてください" if sub else "JIS第1・第2水準の文字に置き換えてください"
        hint_en = f"use '{sub}' instead" if sub else "use a JIS X 0208 character"
        kind_ja = "機種依存文字" if raw else "cp932 で表せない文字"
        kind_en = "a machine-dependent character" if raw else "not encodable in cp932"
        raise KanjiError(ch, i, f"「{ch}」は{kind_ja}です。{hint_ja}", f"'{ch}' is {kind_en}; {hint_en}")
    return "".join(out)
