"""Detection rules (検知ルール) as pure arithmetic: no Django, no database, no request.

**Login defender** (after SFTPGo's defender), counted per account and per client address. Each
login event scores (:class:`LoginEvent`, the mapping is :meth:`DefenderRule.score`):

====  =====================================================================================
1     a wrong password for an existing ID (``failed_password``)
2     an ID that does not exist (``unknown_account``, counted on the address only: there is no
      account) or a wrong second factor — code, recovery code, security key (``failed_second_factor``)
3     an attempt refused without being checked: a locked ID, a throttled address, a terminal
      that is not allowed (``refused``)
====  =====================================================================================

When the scores of one key within ``observation_minutes`` (30) reach ``threshold`` (15), the key is
banned for ``ban_minutes`` (30); each further ban of the same key within ``ban_memory_hours`` (24)
lasts 50% longer than the one before (``ban_increase_percent``), up to ``max_ban_minutes``. Unlike
SFTPGo, which lengthens a ban at every attempt made while it lasts, a ban here grows only from one
ban to the next; attempts during a ban are refused by the caller and not scored.

>>> rule = DefenderRule()
>>> [rule.ban_length(n).total_seconds() / 60 for n in (1, 2, 3)]
[30.0, 45.0, 67.5]
>>> rule.bans(window_score([(0, 3)] * 5, now=0, since=0))
True

**Mass download**: the files and bytes a business downloads within ``window_minutes`` (15) against
its usual level, the largest total of any such window in the last ``baseline_days`` (28). The rule
fires when the window reaches ``files`` (20) files or ``megabytes`` (200) MB, or ``factor`` (3) times
the usual level when that is higher.

>>> MassDownloadRule().exceeds(files=20, size=0, usual=(0, 0))
True
>>> MassDownloadRule().exceeds(files=20, size=0, usual=(10, 0))
False
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from kokin.incidents.hours import Hours

MB = 1024 * 1024
Moment = TypeVar("Moment", dt.datetime, float)


class LoginEvent(StrEnum):
    FAILED_PASSWORD = "failed_password"
    UNKNOWN_ACCOUNT = "unknown_account"
    FAILED_SECOND_FACTOR = "failed_second_factor"
    REFUSED = "refused"


@dataclass(frozen=True)
class DefenderRule:
    enabled: bool = True
    threshold: int = 15
    observation_minutes: int = 30
    ban_minutes: int = 30
    ban_increase_percent: int = 50
    max_ban_minutes: int = 1440
    ban_memory_hours: int = 24
    score_failed_password: int = 1
    score_unknown_account: int = 2
    score_failed_second_factor: int = 2
    score_refused: int = 3

    def score(self, event: LoginEvent) -> int:
        return int(getattr(self, f"score_{event.value}"))

    def bans(self, score: int) -> bool:
        return score >= self.threshold

    def ban_length(self, nth: int) -> dt.timedelta:
        """How long the ``nth`` ban of one key lasts (1 the first): ``ban_minutes`` × (1 + increase)^(n−1),
        at most ``max_ban_minutes``, in whole seconds."""
        if nth < 1:
            raise ValueError("nth counts from 1")
        base, cap = self.ban_minutes * 60, self.max_ban_minutes * 60
        growth = 1 + self.ban_increase_percent / 100
        # compared in logarithms, so a key banned thousands of times does not overflow a float
        if growth > 1 and (nth - 1) * math.log(growth) >= math.log(cap / base):
            return dt.timedelta(seconds=cap)
        return dt.timedelta(seconds=min(cap, round(base * growth ** (nth - 1))))


def window_score(events: Iterable[tuple[Moment, int]], *, now: Moment, since: Moment) -> int:
    """The sum of the scores of ``events`` (moment, score) after ``since`` and not after ``now``."""
    return sum(score for at, score in events if since <= at <= now)


@dataclass(frozen=True)
class MassDownloadRule:
    enabled: bool = True
    window_minutes: int = 15
    files: int = 20
    megabytes: int = 200
    factor: float = 3.0
    baseline_days: int = 28

    def limits(self, usual: tuple[int, int]) -> tuple[int, int]:
        """Files and bytes in one window that make a mass download, given the usual (files, bytes)."""
        files, size = usual
        return max(self.files, math.ceil(self.factor * files)), max(self.megabytes * MB, math.ceil(self.factor * size))

    def exceeds(self, *, files: int, size: int, usual: tuple[int, int]) -> bool:
        most_files, most_bytes = self.limits(usual)
        return files >= most_files or size >= most_bytes


def usual_level(events: Iterable[tuple[float, int]], *, width: float) -> tuple[int, int]:
    """The largest (files, bytes) of any window of ``width`` seconds among ``events`` (epoch seconds,
    bytes), windows counted from the epoch; (0, 0) when there are none."""
    buckets: dict[int, tuple[int, int]] = {}
    for at, size in events:
        files, total = buckets.get(int(at // width), (0, 0))
        buckets[int(at // width)] = (files + 1, total + size)
    if not buckets:
        return 0, 0
    return max(f for f, _ in buckets.values()), max(b for _, b in buckets.values())


@dataclass(frozen=True)
class Switch:
    """A rule whose only setting is on or off (it fires on one kind of operation-log entry)."""

    enabled: bool = True


@dataclass(frozen=True)
class RareRoleRule:
    """A download or export by a role that rarely does it: within ``baseline_days``, the action was done
    at least ``min_total`` times by anyone (it is usual work, so the baseline means something), and fewer
    than ``min_times`` times by this role.

    >>> RareRoleRule().rare(total=200, by_role=0), RareRoleRule().rare(total=10, by_role=0)
    (True, False)
    """

    enabled: bool = True
    baseline_days: int = 90
    min_total: int = 50
    min_times: int = 2

    def rare(self, *, total: int, by_role: int) -> bool:
        return total >= self.min_total and by_role < self.min_times


@dataclass(frozen=True)
class WorkingHoursRule:
    """A login outside the department's working hours (:class:`~kokin.incidents.hours.Hours`): ``hours``
    for every department, ``departments`` (by department code) where one differs. Off unless the ward
    turns it on: its hours are the ward's to set, and a guess would raise an incident at every
    Saturday duty."""

    enabled: bool = False
    hours: Hours = field(default_factory=Hours)
    departments: Mapping[str, Hours] = field(default_factory=dict)

    def outside(self, moment: dt.datetime, department: str) -> str:
        return self.departments.get(department, self.hours).outside(moment)


@dataclass(frozen=True)
class Rules:
    """Every rule's settings; a raise for the same rule and subject within ``dedup_hours`` of the last
    one joins the open incident."""

    dedup_hours: int = 24
    login_defender: DefenderRule = DefenderRule()
    mass_download: MassDownloadRule = MassDownloadRule()
    rare_role: RareRoleRule = RareRoleRule()
    working_hours: WorkingHoursRule = WorkingHoursRule()
    terminal: Switch = Switch()
    audit_verify: Switch = Switch()
    vault: Switch = Switch()
    retention: Switch = Switch()
