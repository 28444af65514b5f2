"""事故・インシデント (別紙3 第15条): the incidents opened, detected again or moved on in the period
(:mod:`kokin.incidents`), what happened to each in the period (its timeline's state changes) and its
state at the end of the period and when the report is made."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from kokin.compliance.period import when_label
from kokin.compliance.sections.base import Column, Context, Section, count
from kokin.incidents.labels import rule_label
from kokin.incidents.models import Incident, IncidentNote, State

COLUMNS = (
    Column("番号", 12, numeric=True),
    Column("件名", 44),
    Column("検知ルール・重大度", 34),
    Column("期間中の経過", 52),
    Column("状態", 28),
)


def _changes(notes: list[IncidentNote]) -> list[str]:
    lines = []
    for note in notes:
        if not note.from_state:
            lines.append(f"登録 ({State(note.to_state).label}) {when_label(note.at)}")
        else:
            lines.append(f"{State(note.from_state).label} → {State(note.to_state).label} {when_label(note.at)}")
    return lines


def build(context: Context) -> Section:
    period = context.period
    in_period = Q(at__gte=period.since, at__lt=period.until)
    moves: dict[int, list[IncidentNote]] = defaultdict(list)
    for note in IncidentNote.objects.filter(in_period).exclude(to_state="").order_by("at", "pk"):
        moves[note.incident_id].append(note)
    seen_again = Q(last_seen__gte=period.since, last_seen__lt=period.until, occurrences__gt=1)
    incidents = Incident.objects.filter(Q(pk__in=list(moves)) | seen_again).order_by("number")
    # the state at the end of the period: the last state change before it ended
    ended: dict[int, str] = {}
    for incident_id, state in (
        IncidentNote.objects.filter(incident__in=incidents, at__lt=period.until)
        .exclude(to_state="")
        .order_by("at", "pk")
        .values_list("incident_id", "to_state")
    ):
        ended[incident_id] = state
    rows = []
    opened = changed = malware = personal = 0
    for incident in incidents:
        steps = moves.get(incident.pk, [])
        lines = _changes(steps)
        opened += sum(1 for n in steps if not n.from_state)
        changed += sum(1 for n in steps if n.from_state)
        if period.contains(incident.last_seen) and incident.occurrences > 1:
            lines.append(f"再検知 (計 {count(incident.occurrences)} 回、最終 {when_label(incident.last_seen)})")
        malware += incident.rule == "malware"
        personal += incident.may_involve_personal_data
        at_end = State(ended.get(incident.pk, incident.state)).label
        now = incident.get_state_display()
        state = now if at_end == now else f"期末: {at_end}\n作成時: {now}"
        flags = "\n個人データを含むおそれ" if incident.may_involve_personal_data else ""
        rows.append(
            (
                str(incident.number),
                incident.title,
                f"{rule_label(incident.rule)}\n重大度: {incident.get_severity_display()}{flags}",
                "\n".join(lines),
                state,
            )
        )
    still_open = Incident.objects.exclude(state=State.CLOSED).count()
    notes = [
        f"期間中の登録 {count(opened)} 件、状態の変更 {count(changed)} 件、期間中に動きのあったインシデント "
        f"{count(len(rows))} 件 (うちマルウェアの検出 {count(malware)} 件、"
        f"個人データを含むおそれ {count(personal)} 件)。",
        f"作成時点で完了していないインシデントは全体で {count(still_open)} 件です。",
        "状態は 検知 → 調査中 → 報告済 → 完了 と進みます。個人データを含むおそれのあるものは、"
        "漏えい等報告の案をハブのインシデント画面で作成できます。",
    ]
    return Section(
        "事故・インシデント (第15条)",
        COLUMNS,
        rows,
        notes,
        empty="期間中に登録・変更されたインシデントはありません。",
        facts={"incidents": len(rows), "incidents_opened": opened},
    )
