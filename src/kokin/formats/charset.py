"""Zengin character rules (全銀協 文字セット) for single-byte C fields.

Name fields in Zengin files hold half-width katakana, digits, upper-case letters, space and a few
symbols, all single bytes in cp932 (JIS X 0201). Banks differ at the edges (some refuse ``,`` or
``.``), so the set is data that a bank profile may replace.

>>> is_zengin_text("ﾔﾏﾀﾞ ﾀﾛｳ")
True
>>> is_zengin_text("ｷｬﾉﾝ")  # small kana are not allowed
False
"""

from __future__ import annotations

import numpy as np

#: Half-width katakana allowed by the Zengin rules: ｦ, ｱ–ﾝ, ﾞ, ﾟ (no small kana, no ｰ).
ZENGIN_KANA = "ｦ" + "".join(chr(c) for c in range(ord("ｱ"), ord("ﾝ") + 1)) + "ﾞﾟ"
ZENGIN_SYMBOLS = "()-./,｢｣\\"
ZENGIN_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The default set for name fields: kana, digits, A–Z, space and ``( ) - . / , ｢ ｣ \``.
ZENGIN_CHARS = frozenset(ZENGIN_KANA + ZENGIN_ALPHANUMERIC + ZENGIN_SYMBOLS + " ")


def byte_table(chars: frozenset[str] | str) -> np.ndarray:
    """A 256-entry boolean table: True where the cp932 single byte encodes an allowed character."""
    table = np.zeros(256, dtype=np.bool_)
    for ch in chars:
        encoded = ch.encode("cp932")
        if len(encoded) != 1:
            raise ValueError(f"{ch!r} is not a single-byte character in cp932")
        table[encoded[0]] = True
    return table


def is_zengin_text(text: str, chars: frozenset[str] = ZENGIN_CHARS) -> bool:
    """True when every character of ``text`` is in the allowed set."""
    return all(ch in chars for ch in text)


def in_english(description: str) -> str:
    """A :func:`describe_byte` text with the Japanese quotes turned into ASCII quotes."""
    return description.replace("「", '"').replace("」", '" ')


def describe_byte(raw: bytes, index: int) -> str:
    """Name the character at ``raw[index]`` for an error message: the character and its byte(s).

    A cp932 lead byte is shown together with its trail byte when that pair decodes.
    """
    b = raw[index]
    if b in (0x0D, 0x0A):
        return "CR" if b == 0x0D else "LF"
    if index + 1 < len(raw):
        pair = raw[index : index + 2]
        try:
            ch = pair.decode("cp932")
            if len(ch) == 1:
                return f"「{ch}」(0x{pair.hex().upper()})"
        except UnicodeDecodeError:
            pass
    try:
        ch = bytes([b]).decode("cp932")
        if ch.isprintable():
            return f"「{ch}」(0x{b:02X})"
    except UnicodeDecodeError:
        pass
    return f"0x{b:02X}"
