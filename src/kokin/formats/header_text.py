"""The header records of a parsed file as text for people (``kokin inspect``): each field's Japanese
and English label and its value, dates with the era (和暦) beside."""

from __future__ import annotations

import datetime as dt

from kokin.formats.dates import wareki_text
from kokin.formats.engine import Parsed
from kokin.formats.layout import Field

#: headers shown; the batches beyond are only counted
SHOWN_BATCHES = 3


def _value(f: Field, value: object) -> str:
    text = "" if value is None else str(value)
    try:
        if f.date == "yyyymmdd":
            day = dt.datetime.strptime(text, "%Y%m%d").date()
            return f"{text} ({day:%Y-%m-%d} {wareki_text(day)})"
        if f.date == "mmdd":
            return f"{text} ({int(text[:2])}月{int(text[2:])}日)"
    except ValueError:
        pass  # a faulty date is shown as it is; validation reports it
    return text


def header_lines(parsed: Parsed) -> list[str]:
    """One block per batch header (at most :data:`SHOWN_BATCHES`), a field a line; no dummies."""
    table = parsed.tables.get("header")
    if table is None or not len(table):
        return []
    fields = [f for f in parsed.layout.kind("header").fields if not f.dummy and f.name != "data_kind"]
    rows = table.slice(0, SHOWN_BATCHES).to_pylist()
    lines = []
    for n, row in enumerate(rows, 1):
        where = f"レコード {row['record_number']:,} record {row['record_number']:,}"
        lines.append(f"ヘッダー header (バッチ {n} batch {n}, {where}):")
        lines.extend(f"  {f.ja} {f.en}: {_value(f, row.get(f.name))}" for f in fields if f.name in row)
    if len(table) > SHOWN_BATCHES:
        rest = len(table) - SHOWN_BATCHES
        lines.append(f"  … ほか {rest:,} バッチのヘッダー / {rest:,} more batch headers")
    return lines
