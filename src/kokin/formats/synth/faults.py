"""Documented faults put into a valid file's bytes, and where they are.

:func:`inject` puts faults of the kinds in :data:`FAULT_KINDS` (a non-digit in a numeric field, a
lower-case letter in a kana field, half-width kana or a machine-dependent character in a full-width
field, a double-byte character split at a field's end, an impossible date, a code outside the allowed
values, a trailer total that does not match) into distinct fields of a file and returns a
:class:`Fault` for each, so tests can check that validation finds each one at its record and field.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from kokin.formats.layout import Field, Layout


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind (:data:`FAULT_KINDS`), record number (from 1), field and description."""

    kind: str
    record: int
    field: str
    description: str


FAULT_KINDS = {
    "digit": ("N 項目に数字以外の文字", "a non-digit in a numeric field"),
    "charset": ("カナ項目に小文字", "a lower-case letter in a kana field"),
    "kanji": ("全角項目に半角カナ", "half-width kana in a full-width field"),
    "machine": ("全角項目に機種依存文字 (髙)", "a machine-dependent character (髙) in a full-width field"),
    "split": ("2バイト文字が項目の境界で分断", "a double-byte character split at the end of a full-width field"),
    "date": ("実在しない日付 (13月)", "an impossible date (month 13)"),
    "allowed": ("使えないコード値", "a code outside the allowed values"),
    "total": ("トレーラーの合計が不一致", "a trailer total that does not match"),
}


def inject(raw: bytes, layout: Layout, count: int, rng: random.Random) -> tuple[bytes, list[Fault]]:
    """Put ``count`` faults into distinct fields of a valid CR LF file; return the bytes and where.

    Every sixth fault is a trailer total (each trailer's numeric fields in turn), the others go into
    distinct data records (one field each). Works for any record length and for K (full-width) fields.
    Fewer faults are made only when the file has too few data records.
    """
    stride = layout.record_length + 2
    data = bytearray(raw)
    kinds = {k.code.encode("ascii")[0]: k for k in layout.kinds}
    numbers = list(range(len(data) // stride))
    data_code, trailer_code = (ord(layout.kind(name).code) for name in ("data", "trailer"))
    data_rows = [i for i in numbers if data[i * stride + layout.kind_position - 1] == data_code]
    trailer_rows = [i for i in numbers if data[i * stride + layout.kind_position - 1] == trailer_code]
    # totals that only result files check would turn a request file into a result file: left alone
    result_only = {t.field for t in layout.totals if t.mode == "result"}
    trailer_fields = [f for f in layout.kind("trailer").fields if f.numeric and f.name not in result_only]
    totals = [(row, f) for f in trailer_fields for row in trailer_rows]  # each trailer's count first
    rng.shuffle(data_rows)
    faults: list[Fault] = []
    for n in range(count):
        if n % 6 == 5 and totals:
            row, f = totals.pop(0)
            _set(data, row * stride, f, str((int(_get(data, row * stride, f)) + 1) % 10**f.length).zfill(f.length))
            faults.append(Fault("total", row + 1, f.name, FAULT_KINDS["total"][1]))
            continue
        if not data_rows:
            break
        row = data_rows.pop()
        kind = kinds[data[row * stride + layout.kind_position - 1]]
        fault = _fault_in(kind.fields, rng)
        if fault is None:
            continue
        name, f = fault
        value = _bad_value(name, f)
        _set(data, row * stride, f, value)
        faults.append(Fault(name, row + 1, f.name, FAULT_KINDS[name][1]))
    return bytes(data), sorted(faults, key=lambda f: (f.record, f.field))


def _bad_value(kind: str, f: Field) -> bytes:
    """The bytes of field ``f`` that validation must reject as a fault of ``kind``."""
    if kind == "digit":
        return b"A".rjust(f.length, b"0")
    if kind == "charset":
        return b"a".ljust(f.length)
    if kind == "kanji":
        return "ｱ".encode("cp932").ljust(f.length)
    if kind == "machine":
        return "髙".encode("cp932") + "　".encode("cp932") * (f.length // 2 - 1)
    if kind == "split":  # the last byte is a lead byte: its trail byte would be the next field's first
        return "　".encode("cp932") * (f.length // 2 - 1) + b" " + "日".encode("cp932")[:1]
    if kind == "date":
        return {"yyyymmdd": b"20251301", "mmdd": b"1301", "wareki": b"5071301"}[str(f.date)]
    value = next(v for v in ("7" * f.length, "5" * f.length, "0" * f.length) if v not in (f.allowed or ()))
    return value.encode("ascii")


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
    if not choices:
        return None
    name, f = rng.choice(choices)
    if name == "kanji":
        name = rng.choice(("kanji", "machine", "split"))
    return name, f


def _get(data: bytearray, offset: int, f: Field) -> str:
    return data[offset + f.start - 1 : offset + f.end].decode("ascii")


def _set(data: bytearray, offset: int, f: Field, value: bytes | str) -> None:
    encoded = value.encode("cp932") if isinstance(value, str) else value
    assert len(encoded) == f.length, (f.name, value)
    data[offset + f.start - 1 : offset + f.end] = encoded
