"""Records the compliance report shows but other parts of the hub keep: the operator roster and its
changes (操作担当者の名簿), training and acknowledgement (研修・誓約), and the equipment register (機器の台帳).

This is the seam between the report and those parts: three functions, each taking the report's period
and returning a plain dataclass — or ``None`` while the part that keeps the records is not installed,
and the section then says 「未導入」. Wiring a part in means replacing the body of one function here
with a call into it (its versions in force at the end of the period, its changes in the period); the
section builders (:mod:`.sections.roster`, :mod:`.sections.training`, :mod:`.sections.equipment`) and
the PDF stay as they are. The dataclasses carry only what the report prints, as text the ward reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kokin.compliance.period import Period

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


def roster(period: Period) -> Roster | None:
    """The operator roster for ``period`` (kokin.registers); ``None``: not installed yet."""
    return None


def training(period: Period) -> Training | None:
    """Training and acknowledgement status for ``period`` (kokin.training); ``None``: not installed yet."""
    return None


def equipment(period: Period) -> Equipment | None:
    """The equipment register for ``period`` (kokin.registers); ``None``: not installed yet."""
    return None
