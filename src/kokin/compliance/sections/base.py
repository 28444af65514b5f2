"""What every section of the compliance report is made of: a title, a table (columns and rows of text)
and notes, built by one function from the :class:`Context` of the report. The PDF (:mod:`..render`)
knows nothing of where a section's figures come from, and a section knows nothing of the PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kokin.compliance.period import Period


class Column(NamedTuple):
    label: str
    #: its share of the page's width (the widths of one table are relative to one another)
    width: float
    #: numbers are right-aligned
    numeric: bool = False


@dataclass(frozen=True)
class Context:
    """What every section is built for: the period, when the report is made and by whom."""

    period: Period
    made_at: dt.datetime
    #: who made it, as the report shows it: ``auditor (監査者)``, ``os:kokin (コマンド)``
    made_by: str


@dataclass
class Section:
    """One section of the report. ``columns`` empty: ``rows`` are (item, value) pairs shown as a list;
    no rows under columns: ``empty`` is shown instead of a table."""

    title: str
    columns: tuple[Column, ...] = ()
    rows: Sequence[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: str = "該当なし"
    #: the section's headline figures, for the report's operation-log entry (JSON values)
    facts: dict[str, Any] = field(default_factory=dict)


Builder = Callable[[Context], Section]


def count(value: int) -> str:
    return f"{value:,}"
