"""Zero-filled ASCII digits → int64 for a whole column at once (SWAR arithmetic in numpy words).

Every number the engine reads (amounts, codes, dates, the keys of ranges) goes through
:func:`digits_to_int`: one ufunc call per step for every record of a block, and the same "garbage" as a
place-value sum in the rows that are not digits, so a check that looks at them sees the same value
whichever way the digits were read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# SWAR ("SIMD within a register", after D. Lemire's 8-digit parse): up to 8 ASCII digits, right-aligned
# in one little-endian word with zeros in front, become their value in log2(width) steps; each step
# joins neighbouring groups of digits: (word & mask) × multiplier >> shift. One ufunc call handles every
# record of a block at once, and the words wrap modulo their width as the arithmetic expects.
_SWAR: dict[int, tuple[np.dtype[Any], tuple[tuple[int, int, int], ...]]] = {
    2: (np.dtype("<u2"), ((0x0F0F, 0x0A01, 8),)),
    4: (np.dtype("<u4"), ((0x0F0F0F0F, 0x0A01, 8), (0x00FF00FF, 0x640001, 16))),
    8: (
        np.dtype("<u8"),
        ((0x0F0F0F0F0F0F0F0F, 0x0A01, 8), (0x00FF00FF00FF00FF, 0x640001, 16), (0x0000FFFF0000FFFF, 0x271000000001, 32)),
    ),
}


def _digits_by_place(col: np.ndarray) -> np.ndarray:
    """Σ (byte − 48) × 10^place: the value of digit rows, and the reference "garbage" of the others."""
    w = col.shape[1]
    out = np.zeros(col.shape[0], dtype=np.int64)
    for j in range(w):
        out *= 10
        out += col[:, j]
    out -= 48 * int("1" * w) if w else 0
    return out


def digits_to_int(col: np.ndarray, *, digits_only: bool = False) -> np.ndarray:
    """Zero-filled ASCII digits (n × w uint8) → int64; garbage in non-digit rows (check first).

    The garbage is always Σ (byte − 48) × 10^place, whichever way the digits are read: some checks
    see it (a 期別 range keyed by a code that is no number), so it must not depend on the method.
    ``digits_only`` says the caller knows every byte is a digit, so no row needs that fix-up.
    """
    n, w = col.shape
    if w > 16 or (w and col.strides[1] != 1):
        return _digits_by_place(col)
    if w == 0:
        return np.zeros(n, dtype=np.int64)
    # right-aligned in 2, 4, 8 or 16 bytes; 16 is two 8-digit words, joined at the end
    size = 2 if w <= 2 else 4 if w <= 4 else 8 if w <= 8 else 16
    word, steps = _SWAR[min(size, 8)]
    uint = word.type
    words = np.zeros((n, size), dtype=np.uint8)
    words[:, size - w :].view(f"V{w}")[:, 0] = col.view(f"V{w}")[:, 0]  # one element per row: a fast copy
    x = words.view(word)  # n × 1 (or 2) words; the first digit of a word is its low byte
    nondigit = None
    if not digits_only:
        # a byte outside 0x30-0x39 sets its high bit in x, x + 0x46.. or x - 0x30..; with digits only,
        # nothing carries or borrows between bytes. The zeros in front are made to look like '0' first.
        front = np.frombuffer(np.where(np.arange(size) < size - w, 0x30, 0).astype(np.uint8).tobytes(), dtype=word)
        y = x + front
        nondigit = y | (y + uint(int("46" * min(size, 8), 16)))
        y -= uint(int("30" * min(size, 8), 16))
        nondigit |= y
        nondigit &= uint(int("80" * min(size, 8), 16))
    for mask, multiplier, shift in steps:
        x &= uint(mask)
        x *= uint(multiplier)
        x >>= uint(shift)
    value: np.ndarray = x[:, 0].astype(np.int64)
    if size == 16:
        value *= 100_000_000
        value += x[:, 1].view(np.int64)  # below 10^8: the same bits
    if nondigit is not None and nondigit.any():
        wrong = np.flatnonzero(nondigit.any(axis=1) if size == 16 else nondigit[:, 0])
        value[wrong] = _digits_by_place(col[wrong])
    return value
