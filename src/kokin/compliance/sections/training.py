"""研修・誓約の状況 (教育の実施, 別紙3 第9条・第16条): each operator's training and acknowledgement at the end
of the period, from :func:`kokin.compliance.sources.training`."""

from __future__ import annotations

from kokin.compliance import sources
from kokin.compliance.period import day_label, when_label
from kokin.compliance.sections.base import Column, Context, Section, count

TITLE = "研修・誓約の状況"
COLUMNS = (Column("操作担当者", 40), Column("研修", 44), Column("受講日", 32), Column("誓約日", 32), Column("状況", 22))


def build(context: Context) -> Section:
    training = sources.training(context.period)
    if training is None:
        return Section(TITLE, empty=f"{sources.NOT_INSTALLED} (研修・誓約の記録は、まだハブに導入されていません)")
    rows = [
        (
            r.operator,
            r.course,
            day_label(r.completed_on) if r.completed_on else "—",
            day_label(r.acknowledged_on) if r.acknowledged_on else "—",
            r.status,
        )
        for r in training.records
    ]
    missing = sum(1 for r in training.records if r.completed_on is None or r.acknowledged_on is None)
    notes = [
        f"{when_label(training.as_of)} 時点、{count(len(rows))} 件 (受講または誓約のないもの {count(missing)} 件)。"
    ]
    return Section(TITLE, COLUMNS, rows, notes, facts={"training": len(rows), "training_missing": missing})
