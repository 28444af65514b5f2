"""The byte tables of ``docs/formats/*.md``, generated from the layouts.

A table whose heading names a record kind (``… — データ区分 `2```) lists that kind's fields: position,
length, type, name and Japanese name come from the layout, the notes column is prose kept by field
name (a new field gets an empty note, a removed one loses its row). The tables of ``<format>.md``
are of that format's layout; a heading naming another format in backticks (`` `general-receipt-waste` ``)
switches the layout for the tables after it, up to the next section (``## ``).

    python -m kokin.formats.doctable docs/formats/*.md           # rewrite the tables
    python -m kokin.formats.doctable --check docs/formats/*.md   # exit 1 if a table is not its layout

>>> from kokin.formats import FORMATS
>>> row(FORMATS["zengin-debit"].LAYOUT.kind("header").field("type_code"), "`91`")
'| 2–3 | 2 | N | `type_code` | 種別コード | `91` |'
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from kokin.formats.layout import Field, Layout

TABLE_HEAD = "| pos | len |"
_KIND = re.compile(r"データ区分 `(.)`")
_NAME = re.compile(r"`([a-z][a-z-]+)`")


def row(f: Field, note: str) -> str:
    """One field as a table row."""
    pos = str(f.start) if f.length == 1 else f"{f.start}–{f.end}"
    return f"| {pos} | {f.length} | {f.type} | `{f.name}` | {f.ja} | {note} |"


def _notes(lines: Sequence[str]) -> dict[str, str]:
    """The notes column of a table's rows, by field name."""
    out: dict[str, str] = {}
    for line in lines:
        cells = line.strip()[2:-2].split(" | ", 5)
        if len(cells) == 6:
            out[cells[3].strip("`")] = cells[5].strip()
    return out


def _tables(lines: Sequence[str]) -> Iterator[tuple[int, int, str, str]]:
    """(first row, end, kind code, format named by a heading so far or "") of each byte table."""
    kind, named = "", ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            if line.startswith("## "):  # a new section: back to the document's own format
                named = ""
            found = _KIND.search(line)
            kind = found.group(1) if found else ""
            named = next((m for m in _NAME.findall(line) if "-" in m), named)
        if line.startswith(TABLE_HEAD) and kind:
            first = i + 2  # after the head and the |---| line
            end = first
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            yield first, end, kind, named
            i = end
            continue
        i += 1


def synced(text: str, layouts: dict[str, Layout], default: str) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with every byte table rewritten from its layout (``default`` unless a heading names
    another), and the (format, kind) of each table."""
    lines = text.split("\n")
    out: list[str] = []
    covered: list[tuple[str, str]] = []
    at = 0
    for first, end, code, named in _tables(lines):
        name = named if named in layouts else default
        kind = layouts[name].kind_by_code(code)
        if kind is None:
            raise ValueError(f"{name} has no record kind with データ区分 {code}")
        notes = _notes(lines[first:end])
        out += lines[at:first]
        out += [row(f, notes.get(f.name, "")) for f in sorted(kind.fields, key=lambda f: f.start)]
        covered.append((name, kind.name))
        at = end
    out += lines[at:]
    return "\n".join(out), covered


def main(argv: Sequence[str] | None = None) -> int:
    from kokin.formats import FORMATS

    parser = argparse.ArgumentParser(prog="python -m kokin.formats.doctable", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report tables that differ from their layout")
    parser.add_argument("docs", nargs="+", type=Path, help="docs/formats/<format>.md files")
    args = parser.parse_args(argv)
    layouts = {name: module.LAYOUT for name, module in FORMATS.items()}
    stale = []
    for path in args.docs:
        if path.stem not in layouts:
            continue
        text = path.read_text(encoding="utf-8")
        new, _ = synced(text, layouts, path.stem)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'differs from' if args.check else 'rewritten from'} its layout")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
