"""A record kind's check plan, worked out once per layout: which fields each pass checks, and how.

The quick byte test (:mod:`kokin.formats.engine.quick`) reads the plan's ``low``/``span`` byte ranges;
the field checks take the fields that need more than a byte range (allowed values, dates, lookups,
blanks allowed, full-width text) from ``special``; ``kept`` is what ``parse`` copies out as bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kokin.formats.layout import Field, RecordKind


@dataclass
class KindPlan:
    """What the engine checks in one record kind, and how (see the module docstring)."""

    kind: RecordKind
    index: int
    need: np.ndarray
    #: byte b at a position passes the quick test when (b - low) mod 256 <= span: digits 48 + 0..9, a
    #: dummy's space 32 + 0, anything else 0 + 0..255 (C fields are tested on their own, see ``texts``)
    low: np.ndarray
    span: np.ndarray
    plain: list[Field] = field(default_factory=list)
    special: list[Field] = field(default_factory=list)
    #: fields whose digits / characters the one-pass scan checks (plain ones and most special ones)
    scanned: list[Field] = field(default_factory=list)
    numeric: list[Field] = field(default_factory=list)
    scanned_names: set[str] = field(default_factory=set)
    #: scanned C fields: the character set is no byte range, so they get a table of their own
    texts: list[Field] = field(default_factory=list)
    #: full-width fields, checked by byte pair (all of them at once first, see ``Engine._wide_ok``)
    wides: list[Field] = field(default_factory=list)
    #: what ``parse`` keeps as fixed-width bytes (every field but dummies and numbers)
    kept: list[Field] = field(default_factory=list)

    @classmethod
    def of(cls, kind: RecordKind, index: int, record_length: int, kind_position: int) -> KindPlan:
        plan = cls(
            kind,
            index,
            np.full(record_length, 128, dtype=np.uint8),
            np.zeros(record_length, dtype=np.uint8),
            np.full(record_length, 255, dtype=np.uint8),
        )
        keys = {f.range_key for f in kind.fields if f.range_key}
        plan.kept = [f for f in kind.fields if not f.dummy and not f.numeric]
        plan.wides = [f for f in kind.fields if f.type == "K" and not f.dummy]
        for f in kind.fields:
            if f.start == kind_position and f.length == 1:
                continue  # the data_kind byte chose this kind
            if f.numeric:
                plan.numeric.append(f)
            special = f.allowed or f.date or f.lookup or f.blank_ok or f.ranges or f.name in keys or f.type == "K"
            (plan.special if special else plan.plain).append(f)
            if f.type == "K" or f.blank_ok:
                continue  # checked column by column
            plan.scanned.append(f)
            plan.scanned_names.add(f.name)
            plan.need[f.slice] = 4 if f.dummy else (1 if f.type == "N" else 2)
            if f.dummy:
                plan.low[f.slice], plan.span[f.slice] = 32, 0
            elif f.type == "N":
                plan.low[f.slice], plan.span[f.slice] = 48, 9
            else:
                plan.texts.append(f)
        return plan
