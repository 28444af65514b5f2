"""The operations that change the registers: the next version when the register changed
(:func:`refresh`), the administrator's sign-off (:func:`sign_off`), appointing the responsible person
(:func:`appoint`), and logging an export (:func:`exported`). Each writes its operation-log entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from kokin.accounts.models import User
from kokin.accounts.permissions import Action, can
from kokin.audit.actor import Actor, current_actor
from kokin.audit.services import record
from kokin.registers import diff, snapshot
from kokin.registers.errors import RegisterError
from kokin.registers.models import Kind, RegisterVersion, ResponsiblePerson

#: how many change lines the ``register_version`` entry carries (the version itself keeps them all)
LOGGED_CHANGES = 50
#: two writers that both found the same next number: the later one looks again this many times
ATTEMPTS = 3


def _who() -> Actor:
    """Who made the change: the actor of the request being served, else whoever runs the command."""
    return current_actor.get() or Actor.command()


def label(version: RegisterVersion) -> str:
    """The operation log's name for a version: ``register:roster:3``."""
    return f"register:{version.kind}:{version.number}"


def refresh(kind: str, *, actor: Actor | None = None) -> RegisterVersion | None:
    """Make the next version of register ``kind`` if what it lists changed since the newest version
    (the first version is compared with an empty register); ``None`` when nothing changed.

    Called after each committed change to what the registers list (:mod:`kokin.registers.receivers`)
    and by ``kokin registers refresh``. Logged as ``register_version`` by ``actor`` (default: the
    request's actor, else the command's).
    """
    current = snapshot.build(kind)
    sha256 = snapshot.digest(current)
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _next_version(kind, current, sha256, actor or _who())
        except IntegrityError:  # another writer took the number first: compare with its version
            if attempt == ATTEMPTS - 1:
                raise
    return None  # pragma: no cover - the loop returns or raises


def _next_version(kind: str, current: snapshot.Snapshot, sha256: str, actor: Actor) -> RegisterVersion | None:
    last = RegisterVersion.objects.select_for_update().filter(kind=kind).order_by("-number").first()
    if last is not None and last.sha256 == sha256:
        return None
    changes = diff.changes(kind, last.snapshot if last is not None else snapshot.EMPTY[kind], current)
    version = RegisterVersion.objects.create(
        kind=kind,
        number=last.number + 1 if last is not None else 1,
        snapshot=current,
        sha256=sha256,
        made_at=timezone.now(),
        changes=changes,
    )
    record(
        action="register_version",
        actor=actor,
        object=label(version),
        sha256=sha256,
        detail={
            "kind": kind,
            "number": version.number,
            "changes": changes[:LOGGED_CHANGES],
            "change_count": len(changes),
        },
    )
    return version


def refresh_all(*, actor: Actor | None = None) -> list[RegisterVersion]:
    """:func:`refresh` of both registers; the versions made."""
    made = [refresh(kind, actor=actor) for kind in Kind.values]
    return [v for v in made if v is not None]


def sign_off(*, version: RegisterVersion, sha256: str, actor: Actor) -> RegisterVersion:
    """The system administrator confirms ``version`` as reported to the ward (確認・押印): their name
    and the time are recorded. ``sha256`` is the digest of the version the administrator was shown,
    so a sign-off cannot land on content they did not see.

    Raises :class:`RegisterError` (Japanese and English) for someone who may not sign off, a digest of
    another content, or a version already signed off.
    """
    user = actor.user
    if not isinstance(user, User) or not can(user, Action.SIGN_OFF_REGISTERS):
        raise RegisterError(
            "届出台帳の版を確認できるのはシステム管理者だけです。",
            "only a system administrator signs off a version of the registers",
        )
    with transaction.atomic():
        locked = RegisterVersion.objects.select_for_update().get(pk=version.pk)
        name = f"{locked.get_kind_display()} 第{locked.number}版"
        if locked.signed_off_at is not None:
            who = locked.signed_off_by.username if locked.signed_off_by else "?"
            raise RegisterError(
                f"{name}は確認済みです ({who}、{timezone.localtime(locked.signed_off_at):%Y-%m-%d %H:%M})。",
                f"{locked.kind} version {locked.number} is already signed off by {who}",
            )
        if sha256.strip().lower() != locked.sha256:
            raise RegisterError(
                f"{name}の内容 (SHA-256) が表示した内容と一致しません。ページを開き直して内容を確かめてください。",
                f"the SHA-256 given does not match {locked.kind} version {locked.number}",
            )
        locked.signed_off_by = user
        locked.signed_off_at = timezone.now()
        locked.save(update_fields=["signed_off_by", "signed_off_at"])
        record(
            action="register_signoff",
            actor=actor,
            object=label(locked),
            sha256=locked.sha256,
            detail={"kind": locked.kind, "number": locked.number},
        )
    return locked


def appoint(*, name: str, title: str, contact: str, since: dt.date, actor: Actor) -> ResponsiblePerson:
    """Record the responsible person (個人情報保護管理責任者) from now on; the one before stays in the
    history. The roster's next version follows when the change is committed."""
    person = ResponsiblePerson(
        name=name.strip(),
        title=title.strip(),
        contact=contact.strip(),
        since=since,
        recorded_by=actor.user if isinstance(actor.user, User) else None,
    )
    person.full_clean()
    with transaction.atomic():
        person.save()
        record(
            action="responsible_person",
            actor=actor,
            object=f"responsible_person:{person.pk}",
            detail={"name": person.name, "title": person.title, "since": since.isoformat()},
        )
    return person


def exported(*, version: RegisterVersion, body: bytes, as_: str, actor: Actor) -> None:
    """Log that ``version`` was handed out as ``as_`` (``pdf`` or ``csv``), with the SHA-256 of the bytes."""
    record(
        action="register_export",
        actor=actor,
        object=label(version),
        sha256=hashlib.sha256(body).hexdigest(),
        detail={"kind": version.kind, "number": version.number, "as": as_},
    )
