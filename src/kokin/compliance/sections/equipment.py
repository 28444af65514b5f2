"""機器の台帳 (設備の状況, 別紙3 第16条2): the equipment register in force at the end of the period and its
changes in the period, from :func:`kokin.compliance.sources.equipment`."""

from __future__ import annotations

from kokin.compliance import sources
from kokin.compliance.period import when_label
from kokin.compliance.sections.base import Column, Context, Section, count

TITLE = "機器の台帳"
COLUMNS = (Column("番号", 30), Column("種類", 40), Column("設置場所", 60), Column("状態", 40))


def build(context: Context) -> Section:
    register = sources.equipment(context.period)
    if register is None:
        return Section(TITLE, empty=f"{sources.NOT_INSTALLED} (機器の台帳の管理は、まだハブに導入されていません)")
    rows = [(i.ident, i.kind, i.location, i.status) for i in register.items]
    notes = [f"台帳の版 {register.version} ({when_label(register.as_of)})、{count(len(rows))} 台。"]
    notes.append(f"期間中の変更 {count(len(register.changes))} 件" + ("。" if not register.changes else ":"))
    notes += [
        f"{when_label(c.at)} " + (f"{c.ident}: " if c.ident else "") + f"{c.change}" + (f" ({c.by})" if c.by else "")
        for c in register.changes
    ]
    return Section(TITLE, COLUMNS, rows, notes, facts={"equipment": len(rows)})
