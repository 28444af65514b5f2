"""The 研修実施報告 (別紙3 第9条: the provider reports the training it gave): per operator, the businesses
and roles, each course completed in the period with its date, and the acknowledgement of the handling
rules (when, which version, lapsed or not, the due date). Rendered as PDF (:mod:`kokin.training.report_pdf`)
and CSV (:func:`as_csv`, UTF-8 with BOM so that a spreadsheet opens it as such).

Who is listed: every operator (an active account with a business role) and anyone else with training
recorded in the period. The acknowledgement is shown as it stood at the period's last day (today when
the period is open or runs past today).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone

from kokin.accounts.actors import role_labels
from kokin.accounts.models import RoleAssignment, User
from kokin.formats.cells import guard_row
from kokin.formats.dates import wareki_text
from kokin.training import selectors
from kokin.training.models import HandlingRules, TrainingRecord
from kokin.training.selectors import AcknowledgementStatus


def date_text(day: dt.date | None) -> str:
    """``2025-04-01 (令和7年4月1日)``, or ``—``."""
    return f"{day:%Y-%m-%d} ({wareki_text(day)})" if day else "—"


@dataclass(frozen=True)
class Completed:
    course_code: str
    course_title: str
    course_version: str
    completed_on: dt.date


@dataclass(frozen=True)
class OperatorRow:
    username: str
    name: str
    department: str
    #: "業務名: 役割・役割" per business
    businesses: list[str]
    completed: list[Completed]
    acknowledgement: AcknowledgementStatus
    #: whether the acknowledgement gate applies (holds a business role)
    gated: bool

    @property
    def state(self) -> str:
        """有効・失効・未確認, 取扱規程なし when there are no rules, 対象外 for one the gate does not stop."""
        ack = self.acknowledgement
        if ack.rules is None:
            return "取扱規程なし"
        if not ack.lapsed:
            return "有効"
        if not self.gated:
            return "対象外"
        return "失効" if ack.acknowledged_at is not None else "未確認"

    @property
    def acknowledged_on(self) -> dt.date | None:
        at = self.acknowledgement.acknowledged_at
        return timezone.localdate(at) if at else None


@dataclass(frozen=True)
class Report:
    start: dt.date | None
    end: dt.date | None
    #: the day the acknowledgements are shown as of
    at: dt.date
    created: dt.datetime
    rules: HandlingRules | None
    days: int
    rows: list[OperatorRow]

    @property
    def period_text(self) -> str:
        if self.start is None and self.end is None:
            return "全期間"
        first = date_text(self.start) if self.start else "(初日の指定なし)"
        last = date_text(self.end) if self.end else "(末日の指定なし)"
        return f"{first} から {last} まで"


def build(start: dt.date | None = None, end: dt.date | None = None) -> Report:
    today = timezone.localdate()
    at = min(end, today) if end else today
    records = list(selectors.records_between(start, end))
    people: dict[int, User] = {u.pk: u for u in selectors.operators()}
    for r in records:
        people.setdefault(r.user_id, r.user)
    ordered = sorted(people.values(), key=lambda u: (u.department.code if u.department else "~", u.username))
    statuses = {s.user.pk: s for s in selectors.status(at, ordered)}
    roles = _roles([u.pk for u in ordered])
    by_user: dict[int, list[TrainingRecord]] = {}
    for r in records:
        by_user.setdefault(r.user_id, []).append(r)
    rows = [
        OperatorRow(
            username=u.username,
            name=u.display_name or u.username,
            department=u.department.name if u.department else "",
            businesses=roles.get(u.pk, []),
            completed=[
                Completed(r.course.code, r.course.title, r.course_version, r.completed_on)
                for r in by_user.get(u.pk, [])
            ],
            acknowledgement=statuses[u.pk],
            gated=u.pk in roles and u.is_active,
        )
        for u in ordered
    ]
    return Report(
        start=start,
        end=end,
        at=at,
        created=timezone.now(),
        rules=selectors.current_rules(at),
        days=selectors.days(),
        rows=rows,
    )


def _roles(user_ids: list[int]) -> dict[int, list[str]]:
    rows = (
        RoleAssignment.objects.filter(user_id__in=user_ids)
        .select_related("business")
        .order_by("business__department__code", "business__code")
    )
    grouped: dict[int, dict[str, list[str]]] = {}
    for a in rows:
        grouped.setdefault(a.user_id, {}).setdefault(a.business.name, []).append(a.role)
    return {uid: [f"{name}: {role_labels(codes)}" for name, codes in held.items()] for uid, held in grouped.items()}


CSV_HEADER = [
    "利用者ID",
    "氏名",
    "所属課",
    "業務・役割",
    "研修コード",
    "研修名",
    "研修の版",
    "受講日",
    "受講日 (和暦)",
    "取扱規程の確認日",
    "確認日 (和暦)",
    "確認した版",
    "確認の状態",
    "確認の期限",
    "期限 (和暦)",
]


def _wareki(day: dt.date | None) -> str:
    return wareki_text(day) if day else ""


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def as_csv(report: Report) -> bytes:
    """One line per course completed (an operator with none: one line without a course); UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in report.rows:
        ack = row.acknowledgement
        person = [row.username, row.name, row.department, " / ".join(row.businesses)]
        status = [
            _iso(row.acknowledged_on),
            _wareki(row.acknowledged_on),
            ack.rules_version if ack.rules_version is not None else "",
            row.state,
            _iso(ack.due),
            _wareki(ack.due),
        ]
        courses = [
            [c.course_code, c.course_title, c.course_version, _iso(c.completed_on), _wareki(c.completed_on)]
            for c in row.completed
        ] or [["", "", "", "", ""]]
        for course in courses:
            writer.writerow(guard_row([*person, *course, *status]))
    return out.getvalue().encode("utf-8-sig")


def filename(report: Report, kind: str) -> str:
    start = report.start.strftime("%Y%m%d") if report.start else "start"
    end = report.end.strftime("%Y%m%d") if report.end else "end"
    return f"kokin-training-report-{start}-{end}.{kind}"
