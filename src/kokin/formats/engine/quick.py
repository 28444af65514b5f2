"""The quick byte test: clear a whole block of one record kind with a few SIMD passes, or say where to look.

A subtraction and a comparison per byte tell whether every plain field (digits, Zengin characters,
blank dummies) is in its byte range; one ``bytes.translate`` per C field and one pair table lookup for
all full-width fields do the rest. Only a block the test cannot clear gets the exact per-byte lookup,
and only its faulty records are examined field by field (:mod:`kokin.formats.engine.checks`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from kokin.formats import kanji
from kokin.formats.engine.columns import Columns, arrow, field_view, full_records
from kokin.formats.engine.plan import KindPlan
from kokin.formats.framing import Block

if TYPE_CHECKING:
    import pyarrow as pa


# byte classes for the exact scan of suspect blocks: 1 digit, 2 Zengin character (set per layout), 4 space,
# 128 any byte
CLASSES = np.full(256, 128, dtype=np.uint8)
CLASSES[48:58] |= 1
CLASSES[32] |= 4


_QUICK_BYTES = 65536  # the slice of a block the quick byte test handles at once (see QuickTest._plain_ok)
#: kanji.VALID_PAIRS indexed by a byte pair read as a little-endian uint16 (trail << 8 | lead)
_VALID_PAIRS_LE = kanji.VALID_PAIRS.reshape(256, 256).T.copy().reshape(65536)


@functools.cache
def _valid_pairs_arrow() -> pa.Array:
    return arrow(_VALID_PAIRS_LE.view(np.uint8))


def _pairs_ok(data: np.ndarray) -> bool:
    """Every byte pair of ``data`` (uint8, even length) is a JIS X 0208 character or two spaces."""
    if not len(data):
        return True
    # Arrow's take reads the uint16 pairs as they are; numpy's widens them to int64 first (2-3x slower)
    import pyarrow.compute as pc

    ok = pc.take(_valid_pairs_arrow(), arrow(data.view("<u2")))
    return bool(pc.min(ok).as_py() == 1)


class QuickTest:
    """The engine's part that runs the quick byte test (a mixin of ``Engine``, which sets these up)."""

    kind_index: np.ndarray
    kpos: int
    plans: list[KindPlan]
    classes: np.ndarray
    charset_bytes: bytes
    _tiles: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]
    _diff: np.ndarray
    _outside: np.ndarray
    _pairs: np.ndarray

    def scan(self, block: Block) -> tuple[np.ndarray, np.ndarray | None]:
        """The stateless part of a block's check (numpy only).

        Returns each record's kind and, when the block is of one kind only (the usual case), the
        rows where a plain field is wrong.
        """
        kinds = self.kind_index[block.rows[:, self.kpos]]
        first = int(kinds[0])
        if 0 < first <= len(self.plans) and bool((kinds == first).all()):
            return kinds, self._flag(self.plans[first - 1], block.rows, full_records(block))
        return kinds, None

    def _flag(self, plan: KindPlan, sub: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Rows of ``sub`` where a plain field breaks its byte class.

        ``full`` holds the same records with their separators, C-contiguous. The quick test clears
        almost every block; only a block it cannot clear gets the exact per-byte table lookup.
        """
        if self._plain_ok(plan, full):
            return np.empty(0, dtype=np.int64)
        cls = np.take(self.classes, sub)
        np.bitwise_and(cls, plan.need, out=cls)
        if cls.min() != 0:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero((cls == 0).any(axis=1))

    def _plain_ok(self, plan: KindPlan, full: np.ndarray) -> bool:
        """True when no plain field of ``full`` breaks its byte class (False: look closer).

        A table lookup per byte (``np.take``) is a gather, about 0.8 ns a byte; a subtraction and a
        comparison over the flat block run at SIMD speed, some twenty times faster. The character
        set of C fields is no range: each C field is copied out whole and ``bytes.translate`` deletes
        the allowed bytes; anything left over is a fault. The block goes through in slices of about
        64 KB, so the scratch arrays and the repeated low/span stay in cache: the pass is bound by
        memory bandwidth otherwise.
        """
        m, stride = full.shape
        step = max(1, _QUICK_BYTES // stride)
        low, span = self._tile(plan, stride, step)
        flat = full.reshape(m * stride)
        for start in range(0, m, step):
            size = (min(start + step, m) - start) * stride
            diff, outside = self._diff[:size], self._outside[:size]
            np.subtract(flat[start * stride : start * stride + size], low[:size], out=diff)
            np.greater(diff, span[:size], out=outside)
            if outside.any():
                return False
        return not any(field_view(full, f).tobytes().translate(None, self.charset_bytes) for f in plan.texts)

    def _wide_ok(self, plan: KindPlan, full: np.ndarray, kept: Columns | None = None) -> bool:
        """True when every full-width field of every record is whole JIS X 0208 characters (False: look closer).

        All of a kind's K fields go into one scratch buffer and one table lookup by byte pair, instead
        of a lookup and a row reduction per field. Arrow's take reads the uint16 pairs as they are;
        numpy's would first widen every index to int64, which costs more than the lookup.
        """
        if not plan.wides:
            return True
        m = len(full)
        if kept is not None:
            # parse copied the fields out already: look them up where they are
            return all(_pairs_ok(kept.recent(f, m)) for f in plan.wides)
        width = sum(f.length for f in plan.wides)
        if len(self._pairs) < m * width:
            self._pairs = np.empty(m * width, dtype=np.uint8)
        scratch = self._pairs[: m * width].reshape(m, width)
        at = 0
        for f in plan.wides:
            scratch[:, at : at + f.length].view(f"V{f.length}")[:, 0] = field_view(full, f)
            at += f.length
        return _pairs_ok(scratch.reshape(-1))

    def _tile(self, plan: KindPlan, stride: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """``low`` and ``span`` repeated for ``rows`` records of ``stride`` bytes (and scratch that big)."""
        tiles = self._tiles.get((plan.index, stride))
        if tiles is None:
            # the separators (stride > record length) were checked by the reader: any byte passes here
            pad = stride - len(plan.low)
            low = np.tile(np.concatenate([plan.low, np.zeros(pad, dtype=np.uint8)]), rows)
            span = np.tile(np.concatenate([plan.span, np.full(pad, 255, dtype=np.uint8)]), rows)
            tiles = self._tiles[(plan.index, stride)] = (low, span)
        if len(self._diff) < rows * stride:
            self._diff = np.empty(rows * stride, dtype=np.uint8)
            self._outside = np.empty(rows * stride, dtype=np.bool_)
        return tiles
