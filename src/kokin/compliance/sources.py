"""Records the compliance report shows but other parts of the hub keep: the operator roster and its
changes (操作担当者の名簿), training and acknowledgement (研修・誓約), and the equipment register (機器の台帳).

This is the seam between the report and those parts: three functions, each taking the report's period
and returning a plain dataclass — or ``None`` while the part keeps no records yet (before a register's
first version, before any course or rules), and the section then says 「未導入」. The roster and the
equipment register come from :mod:`kokin.registers` (the version in force at the end of the period, the
changes of the versions made in it), training and the acknowledgements from :mod:`kokin.training`. The
section builders (:mod:`.sections.roster`, :mod:`.sections.training`, :mod:`.sections.equipment`) and
the PDF take only these dataclasses, which carry what the report prints, as text the ward reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from kokin.accounts.models import Role, Terminal
from kokin.compliance.period import Period
from kokin.registers.models import RegisterVersion
from kokin.registers.selectors import in_force_at, versions_between
from kokin.training import selectors as training_selectors
from kokin.training.models import Course, HandlingRules
from kokin.training.models import TrainingRecord as TrainingRecordRow

#: what a section says while its source is not installed
NOT_INSTALLED = "未導入"


@dataclass(frozen=True)
class RosterEntry:
    """One operator on the roster in force at the end of the period."""

    operator: str  # the ID and name, as the roster writes them
    department: str
    roles: str  # the businesses and roles, e.g. "住民税 口座振替: 送信・承認"
    since: dt.date | None = None  # on the roster since


@dataclass(frozen=True)
class RosterChange:
    """One change of the roster made in the period."""

    at: dt.datetime
    operator: str
    change: str  # what changed, in Japanese ("追加", "役割の変更: 閲覧 → 取得", "削除")
    by: str = ""


@dataclass(frozen=True)
class Roster:
    version: str  # the version in force at the end of the period
    as_of: dt.datetime  # when that version was made
    entries: list[RosterEntry] = field(default_factory=list)
    changes: list[RosterChange] = field(default_factory=list)


@dataclass(frozen=True)
class TrainingRecord:
    """One operator's training and acknowledgement (誓約) at the end of the period."""

    operator: str
    course: str
    completed_on: dt.date | None = None  # None: not taken
    acknowledged_on: dt.date | None = None  # None: not signed
    status: str = ""  # in Japanese: 受講済, 未受講, 期限切れ


@dataclass(frozen=True)
class Training:
    as_of: dt.datetime
    records: list[TrainingRecord] = field(default_factory=list)


@dataclass(frozen=True)
class EquipmentItem:
    """One item of the equipment register in force at the end of the period."""

    ident: str  # the register's own number
    kind: str  # server, terminal, medium …, in Japanese
    location: str
    status: str  # in use, retired, disposed …, in Japanese


@dataclass(frozen=True)
class EquipmentChange:
    at: dt.datetime
    ident: str
    change: str
    by: str = ""


@dataclass(frozen=True)
class Equipment:
    version: str
    as_of: dt.datetime
    items: list[EquipmentItem] = field(default_factory=list)
    changes: list[EquipmentChange] = field(default_factory=list)


def _version_label(version: RegisterVersion) -> str:
    state = f"確認済 {timezone.localtime(version.signed_off_at):%Y-%m-%d}" if version.signed_off_at else "未確認"
    return f"第{version.number}版 ({state})"


def _changes(kind: str, period: Period) -> list[tuple[dt.datetime, str]]:
    """Each change line of the versions of ``kind`` made in ``period``, with when its version was made."""
    return [(v.made_at, line) for v in versions_between(kind, period.since, period.until) for line in v.changes]


def roster(period: Period) -> Roster | None:
    """The operator roster in force at the end of ``period`` and its changes in it (kokin.registers);
    ``None`` before the roster's first version."""
    version = in_force_at("roster", period.until)
    if version is None:
        return None
    labels = dict(Role.choices)
    entries: dict[str, list[str]] = {}
    departments: dict[str, str] = {}
    for business in version.snapshot.get("businesses", []):
        for operator in business.get("operators", []):
            who = f"{operator['name']} ({operator['username']})"
            roles = "・".join(labels.get(code, code) for code in operator.get("roles", []))
            entries.setdefault(who, []).append(f"{business['name']}: {roles}")
            departments.setdefault(who, business.get("department", ""))
    hub = {"system_admin": "システム管理者", "auditor": "監査担当"}
    for account in version.snapshot.get("hub", []):
        who = f"{account['name']} ({account['username']})"
        entries.setdefault(who, []).append(hub.get(account["role"], account["role"]))
        departments.setdefault(who, "")
    person = version.snapshot.get("responsible")
    rows = [RosterEntry(operator=who, department=departments[who], roles="、".join(r)) for who, r in entries.items()]
    if person:
        rows.insert(
            0, RosterEntry(operator=person["name"], department=person.get("title", ""), roles="個人情報保護管理責任者")
        )
    changes = [RosterChange(at=at, operator="", change=line) for at, line in _changes("roster", period)]
    return Roster(version=_version_label(version), as_of=version.made_at, entries=rows, changes=changes)


def training(period: Period) -> Training | None:
    """Each operator's latest training up to the end of ``period`` and their acknowledgement of the
    handling rules in effect that day (kokin.training); ``None`` while there are neither rules nor courses."""
    if not (HandlingRules.objects.exists() or Course.objects.exists()):
        return None
    latest: dict[int, TrainingRecordRow] = {}
    for done in training_selectors.records_between(None, period.end):
        latest[done.user_id] = done  # oldest first: the last one stays
    rows = []
    for found in training_selectors.status(at=period.end):
        user = found.user
        record = latest.get(user.pk)
        if found.rules is None:
            state = "取扱規程なし"
        elif found.acknowledged_at is None:
            state = "取扱規程 未確認"
        else:
            state = "取扱規程 期限切れ" if found.lapsed else f"取扱規程 確認済 (期限 {found.due})"
        rows.append(
            TrainingRecord(
                operator=f"{user.display_name} ({user.username})",
                course=f"{record.course.title} ({record.course_version})" if record else "未受講",
                completed_on=record.completed_on if record else None,
                acknowledged_on=timezone.localtime(found.acknowledged_at).date() if found.acknowledged_at else None,
                status=state,
            )
        )
    return Training(as_of=period.until, records=rows)


def equipment(period: Period) -> Equipment | None:
    """The equipment register in force at the end of ``period`` and its changes in it (kokin.registers);
    ``None`` before the register's first version."""
    version = in_force_at("equipment", period.until)
    if version is None:
        return None
    kinds = dict(Terminal.Kind.choices)
    items = [
        EquipmentItem(
            ident=f"{t['number']} {t['name']}",
            kind=kinds.get(t["kind"], t["kind"]),
            location=t.get("place", ""),
            status=f"使用中 (登録 {t.get('registered', '')})",
        )
        for t in version.snapshot.get("terminals", [])
    ]
    changes = [EquipmentChange(at=at, ident="", change=line) for at, line in _changes("equipment", period)]
    return Equipment(version=_version_label(version), as_of=version.made_at, items=items, changes=changes)
