"""Operations that change the training records, each in one transaction with its operation-log entry:
an operator acknowledges the rules (``training_acknowledge``), the system administrator records completed
training (``training_record``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from kokin.accounts.models import User
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.formats.dates import wareki_text
from kokin.training.errors import TrainingError
from kokin.training.models import Acknowledgement, Course, HandlingRules, TrainingRecord


def acknowledge(*, user: User, rules: HandlingRules, actor: Actor) -> Acknowledgement:
    """``user`` read ``rules`` and undertakes to follow them: kept with the text's SHA-256 and the
    address the actor came from."""
    with transaction.atomic():
        made = Acknowledgement.objects.create(
            user=user,
            rules=rules,
            rules_version=rules.version,
            at=timezone.now(),
            text_sha256=rules.sha256,
            client_address=actor.client_ip,
        )
        record(
            action="training_acknowledge",
            actor=actor,
            object=f"handling_rules:{rules.version}",
            sha256=made.text_sha256,
            detail={"user": user.username, "version": rules.version, "title": rules.title},
        )
    return made


def record_training(
    *, course: Course, completed_on: dt.date, users: Sequence[User], actor: Actor, note: str = ""
) -> list[TrainingRecord]:
    """Record that each of ``users`` completed ``course`` on ``completed_on``: all or none.

    Refused (:class:`TrainingError`, naming the field) for no user, a date after today, an inactive
    course, or a user who already has this course on that day.
    """
    if not users:
        raise TrainingError("users", "受講者を 1 人以上選んでください", "choose at least one operator")
    today = timezone.localdate()
    if completed_on > today:
        raise TrainingError(
            "completed_on",
            f"受講日 {completed_on:%Y-%m-%d} は未来の日付です (本日は {today:%Y-%m-%d})",
            f"the date {completed_on:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})",
        )
    if not course.active:
        raise TrainingError("course", f"研修「{course.title}」は実施中ではありません", f"{course.code!r} is not active")
    with transaction.atomic():
        held = set(
            TrainingRecord.objects.filter(course=course, completed_on=completed_on, user__in=users).values_list(
                "user__username", flat=True
            )
        )
        if held:
            names = ", ".join(sorted(held))
            raise TrainingError(
                "users",
                f"{names} の「{course.title}」({wareki_text(completed_on)}) は記録済みです",
                f"{names}: {course.code!r} on {completed_on:%Y-%m-%d} is recorded already",
            )
        made = [
            TrainingRecord.objects.create(
                user=user,
                course=course,
                course_version=course.version,
                completed_on=completed_on,
                recorded_by=actor.name,
                note=note,
            )
            for user in users
        ]
        record(
            action="training_record",
            actor=actor,
            object=f"course:{course.code}",
            detail={
                "course": course.code,
                "version": course.version,
                "completed_on": completed_on.isoformat(),
                "users": [user.username for user in users],
                **({"note": note} if note else {}),
            },
        )
    return made
