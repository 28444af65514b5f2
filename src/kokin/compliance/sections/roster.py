"""操作担当者の名簿と変更 (従事者の監督, 別紙3 第16条): the roster in force at the end of the period and
its changes in the period, from :func:`kokin.compliance.sources.roster`."""

from __future__ import annotations

from kokin.compliance import sources
from kokin.compliance.period import day_label, when_label
from kokin.compliance.sections.base import Column, Context, Section, count

TITLE = "操作担当者の名簿と変更"
COLUMNS = (Column("操作担当者", 44), Column("課", 30), Column("業務と役割", 64), Column("登録日", 32))


def build(context: Context) -> Section:
    roster = sources.roster(context.period)
    if roster is None:
        return Section(TITLE, empty=f"{sources.NOT_INSTALLED} (操作担当者の名簿の管理は、まだハブに導入されていません)")
    rows = [(e.operator, e.department, e.roles, day_label(e.since) if e.since else "—") for e in roster.entries]
    notes = [f"名簿の版 {roster.version} ({when_label(roster.as_of)})、{count(len(rows))} 名。"]
    notes.append(f"期間中の変更 {count(len(roster.changes))} 件" + ("。" if not roster.changes else ":"))
    notes += [
        f"{when_label(c.at)} "
        + (f"{c.operator}: " if c.operator else "")
        + f"{c.change}"
        + (f" ({c.by})" if c.by else "")
        for c in roster.changes
    ]
    return Section(TITLE, COLUMNS, rows, notes, facts={"roster": len(rows), "roster_changes": len(roster.changes)})
