"""The bank simulator's only source of randomness: hashes of integers, so every draw is reproducible.

A draw is a splitmix64 hash of (seed or salt, :class:`Salt`, payer, year, instalment …), vectorised
over numpy arrays; :class:`Draws` gives the ``random.Random`` interface over one such 64-bit seed.
Same seed, same inputs, same draws — in any order and in any run.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import numpy as np


class Salt(IntEnum):
    """Salts that keep the independent draws of one payer apart (the first part after a cohort's salt)."""

    PAY = 1
    LAG = 2
    BANK = 3
    BRANCH = 4
    AMOUNT = 5
    CHANNEL = 6
    CHECK = 7
    SLIP = 8
    SPLIT = 9
    NAME = 10
    AGENT = 11
    PICK = 12
    RATE = 13


def text_key(text: str) -> int:
    """A stable 63-bit number for a text (Python's ``hash`` changes between runs)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.asarray(x ^ (x >> np.uint64(31)))


def hash64(*parts: int | np.ndarray) -> np.ndarray:
    """A uint64 per element of the broadcast ``parts`` (ints or integer arrays)."""
    with np.errstate(over="ignore"):
        h = np.asarray(np.uint64(0x9E3779B97F4A7C15))
        for part in parts:
            value = part.astype(np.uint64) if isinstance(part, np.ndarray) else np.uint64(part & 0xFFFFFFFFFFFFFFFF)
            h = _mix(h ^ (value + np.uint64(0x9E3779B97F4A7C15)))
        return np.atleast_1d(h)


def unit(h: np.ndarray) -> np.ndarray:
    return np.asarray((h >> np.uint64(11)).astype(np.float64) * 2.0**-53)


def uniform(*parts: int | np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1), one per element of the broadcast ``parts``."""
    return unit(hash64(*parts))


class Draws(random.Random):
    """The ``random.Random`` interface over a splitmix64 stream from one 64-bit seed.

    The sample's amount helpers take a ``random.Random``; seeding Python's Mersenne Twister costs
    about 5 µs, which a 100,000-record day pays several times over. This stream seeds for free.
    """

    _MASK = 0xFFFFFFFFFFFFFFFF

    def seed(self, a: Any = None, version: int = 2) -> None:
        self._state = int(a or 0) & self._MASK

    def _next(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & self._MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self._next() >> 11) * 2.0**-53

    def getrandbits(self, k: int) -> int:
        out, bits = 0, 0
        while bits < k:
            out = out << 64 | self._next()
            bits += 64
        return out >> (bits - k)

    def getstate(self) -> Any:
        return self._state

    def setstate(self, state: Any) -> None:
        self._state = int(state)


def choice(u: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)
