"""Reading the training records and who stands where with the handling rules.

For other parts of the hub (the monthly compliance report) two calls are enough:

- :func:`status` (``at``: a date, default today): each operator's acknowledgement of the rules in effect
  that day — when, which version, lapsed or not, the due date;
- :func:`records_between` (``start``, ``end``, both included): the training completed in a period.

Who is gated: an active user who holds a business role (an operator). The system administrator and the
auditor hold none and are not gated; the bank link's accounts are not users at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone

from kokin.accounts.models import RoleAssignment, User
from kokin.training.errors import TrainingError
from kokin.training.lapse import Standing, standing
from kokin.training.models import Acknowledgement, Course, HandlingRules, TrainingRecord


def days() -> int:
    """How many days an acknowledgement holds (``KOKIN_ACKNOWLEDGEMENT_DAYS``)."""
    return int(settings.ACKNOWLEDGEMENT_DAYS)


def current_rules(at: dt.date | None = None) -> HandlingRules | None:
    """The rules in effect on ``at`` (default today): the latest ``effective_from`` not after it."""
    day = at or timezone.localdate()
    return HandlingRules.objects.filter(effective_from__lte=day).order_by("-effective_from", "-version").first()


def is_operator(user: User) -> bool:
    """An active account that holds a business role: the only kind the acknowledgement gate stops."""
    return bool(user.is_active and not user.is_hub_wide and RoleAssignment.objects.filter(user_id=user.pk).exists())


def operators() -> QuerySet[User]:
    """Every active account that holds a business role, by department and ID."""
    return (
        User.objects.filter(is_active=True, roles__isnull=False)
        .distinct()
        .select_related("department")
        .order_by("department__code", "username")
    )


def _local_day(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def _latest(users: Iterable[int], rules: HandlingRules, at: dt.date) -> dict[int, dt.datetime]:
    """Each user's latest acknowledgement of ``rules`` (of its text as it is now) made by the end of ``at``."""
    end = timezone.make_aware(dt.datetime.combine(at + dt.timedelta(days=1), dt.time()))
    rows = (
        Acknowledgement.objects.filter(user_id__in=list(users), rules=rules, text_sha256=rules.sha256, at__lt=end)
        .values("user_id")
        .annotate(last=Max("at"))
    )
    return {row["user_id"]: row["last"] for row in rows}


@dataclass(frozen=True)
class AcknowledgementStatus:
    """One user's acknowledgement of the rules in effect on a day."""

    user: User
    #: the rules in effect that day (``None``: no rules yet, nothing to acknowledge)
    rules: HandlingRules | None
    #: the latest acknowledgement of those rules, or ``None``
    acknowledged_at: dt.datetime | None
    standing: Standing

    @property
    def lapsed(self) -> bool:
        return self.standing.lapsed

    @property
    def due(self) -> dt.date | None:
        return self.standing.due

    @property
    def rules_version(self) -> int | None:
        return self.rules.version if self.rules is not None and self.acknowledged_at is not None else None


def _status(user: User, rules: HandlingRules | None, last: dt.datetime | None, at: dt.date) -> AcknowledgementStatus:
    if rules is None:
        return AcknowledgementStatus(user, None, None, Standing(lapsed=False, due=None))
    found = standing(
        acknowledged=_local_day(last) if last else None, effective_from=rules.effective_from, days=days(), today=at
    )
    return AcknowledgementStatus(user, rules, last, found)


def status_of(user: User, at: dt.date | None = None) -> AcknowledgementStatus:
    """``user``'s acknowledgement of the rules in effect on ``at`` (default today)."""
    day = at or timezone.localdate()
    rules = current_rules(day)
    last = _latest([user.pk], rules, day).get(user.pk) if rules is not None else None
    return _status(user, rules, last, day)


def status(at: dt.date | None = None, users: Iterable[User] | None = None) -> list[AcknowledgementStatus]:
    """Each operator's (or each of ``users``') acknowledgement of the rules in effect on ``at`` (default today).

    With no rules in effect nobody is lapsed: there is nothing to acknowledge.
    """
    day = at or timezone.localdate()
    people = list(operators() if users is None else users)
    rules = current_rules(day)
    latest = _latest([u.pk for u in people], rules, day) if rules is not None else {}
    return [_status(user, rules, latest.get(user.pk), day) for user in people]


def must_acknowledge(user: User) -> bool:
    """Whether the gate stops ``user`` today: an operator whose acknowledgement of the rules in effect is
    missing or lapsed."""
    return is_operator(user) and status_of(user).lapsed


def records_between(start: dt.date | None = None, end: dt.date | None = None) -> QuerySet[TrainingRecord]:
    """The training completed from ``start`` to ``end`` (both included; either may be open), by day."""
    rows = TrainingRecord.objects.select_related("user__department", "course")
    if start is not None:
        rows = rows.filter(completed_on__gte=start)
    if end is not None:
        rows = rows.filter(completed_on__lte=end)
    return rows.order_by("completed_on", "user__username", "course__code")


def course_by_code(code: str) -> Course:
    """The active course with ``code``; :class:`TrainingError` naming the field otherwise."""
    found = Course.objects.filter(code=code).first()
    if found is None:
        raise TrainingError("course", f"研修コード「{code}」の研修はありません", f"no course with the code {code!r}")
    if not found.active:
        raise TrainingError(
            "course", f"研修「{found.title}」は実施中ではありません", f"the course {code!r} is not active"
        )
    return found


def users_by_name(usernames: Iterable[str]) -> list[User]:
    """The active accounts named (in the order given); :class:`TrainingError` naming the first unknown one."""
    wanted = list(dict.fromkeys(usernames))
    found = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
    for name in wanted:
        if name not in found:
            raise TrainingError(
                "users", f"利用者「{name}」はいません (有効な ID ではありません)", f"no active user {name!r}"
            )
    return [found[name] for name in wanted]
