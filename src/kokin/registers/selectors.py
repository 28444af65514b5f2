"""Reading the registers' versions; also what another part (the monthly compliance report) calls:
``current("roster")`` is the roster in force, ``versions_between("equipment", start, end)`` the
versions of the equipment register made in a period (the changes reported then), each a
:class:`RegisterVersion` whose ``changes`` say what changed and whose ``signed_off_at`` says whether
the administrator confirmed it.

Permission is the caller's business: the pages check :data:`Action.VIEW_REGISTERS` first.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kokin.registers.errors import RegisterError
from kokin.registers.models import Kind, RegisterVersion


def versions(kind: str) -> QuerySet[RegisterVersion]:
    """Every version of register ``kind`` (``roster`` or ``equipment``), newest first."""
    return RegisterVersion.objects.filter(kind=kind).select_related("signed_off_by").order_by("-number")


def version_list(kind: str) -> QuerySet[RegisterVersion]:
    """The versions of ``kind`` as the register's page lists them: newest first, without the content."""
    return versions(kind).defer("snapshot")


def current(kind: str) -> RegisterVersion | None:
    """The version in force now (the newest), or ``None`` before the register's first version."""
    return versions(kind).first()


def versions_between(kind: str, start: dt.datetime, end: dt.datetime) -> list[RegisterVersion]:
    """The versions of ``kind`` made from ``start`` (included) to ``end`` (excluded), oldest first:
    for a month, the changes reported in it. Aware datetimes, as everywhere in the hub."""
    return list(versions(kind).filter(made_at__gte=start, made_at__lt=end).order_by("number"))


def in_force_at(kind: str, moment: dt.datetime) -> RegisterVersion | None:
    """The version of ``kind`` that was the newest at ``moment`` (``None`` before the first)."""
    return versions(kind).filter(made_at__lte=moment).first()


def version(kind: str, number: int | None = None) -> RegisterVersion:
    """Version ``number`` of ``kind`` (the current one when ``None``); :class:`RegisterError` naming
    the register and the number when there is none."""
    title = Kind(kind).label if kind in Kind.values else kind
    found = current(kind) if number is None else versions(kind).filter(number=number).first()
    if found is None:
        if number is None:
            raise RegisterError(f"{title}の版はまだありません。", f"the {kind} register has no version yet")
        raise RegisterError(f"{title}に第{number}版はありません。", f"the {kind} register has no version {number}")
    return found


def previous(version: RegisterVersion) -> RegisterVersion | None:
    """The version before ``version`` (what its changes are against)."""
    return versions(version.kind).filter(number__lt=version.number).first()
