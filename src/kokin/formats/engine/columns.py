"""Column buffers: the fields ``parse`` keeps, copied out block by block, and the raw Arrow tables made of them.

:class:`Columns` grows one byte buffer per fixed-width field and one int64 buffer per number, so the
Arrow column is made over that memory without a further copy (:func:`arrow`); :class:`Tables` is the
engine's part that hands them out at the end of the file (``Engine.raw_tables``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kokin.formats.engine.plan import KindPlan
from kokin.formats.framing import Block
from kokin.formats.layout import Field

if TYPE_CHECKING:
    # pyarrow (~40 MiB) is imported by the functions that make Arrow data: validating a file needs none
    import pyarrow as pa


def field_view(full: np.ndarray, f: Field) -> np.ndarray:
    """One element (``V{length}``) per record of ``full`` (k × stride, C-contiguous): a strided view, no copy.

    Copying it moves one whole field per record: about twice as fast as the k × length uint8 slice.
    """
    return np.ndarray((len(full),), dtype=f"V{f.length}", buffer=full, offset=f.start - 1, strides=(full.shape[1],))


def full_records(block: Block) -> np.ndarray:
    """The block's records with their separators, C-contiguous (what :func:`field_view` takes)."""
    return block.full if block.full is not None else np.ascontiguousarray(block.rows)


def arrow(values: np.ndarray) -> pa.Array:
    """A numpy array of numbers as an Arrow array over the same memory. ``pa.array`` would do the same
    but imports pandas (~40 MiB in every hub worker) the first time it sees a numpy array."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


class Columns:
    """One record kind's columns, copied out block by block while the block is in cache.

    Each fixed-width field is one growing byte buffer and each number (``numbers``: numeric fields,
    record numbers, batches) one growing int64 buffer, so the Arrow column is made of it without a
    further copy.
    """

    def __init__(self, fields: list[Field], numbers: list[str], capacity: int) -> None:
        self.fields = fields
        self.count = 0
        self.capacity = 0
        self.data: dict[str, np.ndarray] = {}
        self.numbers: dict[str, np.ndarray] = dict.fromkeys(numbers, np.empty(0, dtype=np.int64))
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        """One allocation for all byte fields and one for all numbers: numpy asks the kernel for huge
        pages for large arrays, so writing the columns takes far fewer page faults than per field."""
        data = np.empty(capacity * sum(f.length for f in self.fields), dtype=np.uint8)
        numbers = np.empty((len(self.numbers), capacity), dtype=np.int64)
        at = 0
        for f in self.fields:
            part = data[at * capacity : (at + f.length) * capacity]
            if self.count:
                part[: self.count * f.length] = self.data[f.name][: self.count * f.length]
            self.data[f.name] = part
            at += f.length
        for row, (name, old) in zip(numbers, self.numbers.items(), strict=True):
            if self.count:
                row[: self.count] = old[: self.count]
            self.numbers[name] = row
        self.capacity = capacity

    def add(self, full: np.ndarray) -> None:
        m = len(full)
        if self.count + m > self.capacity:
            self._allocate(max(2 * self.capacity, self.count + m))
        for f in self.fields:
            dest = self.data[f.name][self.count * f.length : (self.count + m) * f.length]
            dest.view(f"V{f.length}")[...] = field_view(full, f)
        self.count += m

    def recent(self, f: Field, m: int) -> np.ndarray:
        """The bytes of ``f`` in the last ``m`` records added, contiguous."""
        return self.data[f.name][(self.count - m) * f.length : self.count * f.length]

    def put(self, name: str, values: np.ndarray) -> None:
        """Numbers for the last ``len(values)`` records added."""
        self.numbers[name][self.count - len(values) : self.count] = values

    def column(self, f: Field) -> np.ndarray:
        return self._trim(self.data[f.name][: self.count * f.length])

    def number_column(self, name: str) -> np.ndarray:
        return self._trim(self.numbers[name][: self.count])

    def _trim(self, data: np.ndarray) -> np.ndarray:
        # a generous size guess (see run) leaves untouched pages behind: only keep what a small kind used
        return data.copy() if self.capacity > 2 * self.count + 1024 else data


class Tables:
    """The engine's part that turns the kept columns into Arrow tables (a mixin of ``Engine``)."""

    plans: list[KindPlan]
    columns: dict[str, dict[str, list[np.ndarray]]]
    kept: dict[str, Columns]

    def raw_tables(self) -> dict[str, pa.Table]:
        """Per record kind: numbers as int64, other fields as fixed-width cp932 bytes."""
        import pyarrow as pa

        out: dict[str, pa.Table] = {}
        for plan in self.plans:
            cols = self.columns.get(plan.kind.name) or {}
            kept = self.kept[plan.kind.name]
            n = kept.count
            if not n:
                continue
            arrays: dict[str, pa.Array] = {}
            if "batch" in kept.numbers:
                arrays["batch"] = arrow(kept.number_column("batch"))
            elif "batch" in cols:
                arrays["batch"] = arrow(np.concatenate(cols["batch"]).astype(np.int64))
            for f in plan.kind.fields:
                if f.dummy:
                    continue
                if f.numeric:
                    arrays[f.name] = arrow(kept.number_column(f.name))
                else:
                    arrays[f.name] = pa.FixedSizeBinaryArray.from_buffers(
                        pa.binary(f.length), n, [None, pa.py_buffer(kept.column(f))]
                    )
            arrays["record_number"] = arrow(kept.number_column("record_number"))
            out[plan.kind.name] = pa.table(arrays)
        return out
