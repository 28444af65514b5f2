"""Done incidents past their retention (``KOKIN_RETAIN_INCIDENTS_DAYS``, :mod:`kokin.audit.retention`):
exported into an archive file, then removed with their timeline and report drafts, and logged
(``incident_expire``).

Only an incident in state 完了 (closed) expires, counted from when it was closed; an open one stays
whatever its age. Each goes to its own file ``KOKIN_ARCHIVE_DIR/incidents/incident-<number>.json``
(UTF-8 JSON with the fields' Japanese names, written atomically, the folder fsynced, read back and
compared) inside the transaction that holds the incident and deletes it, so a note added meanwhile is
either in the file or refused. A file that cannot be written rolls that incident back (nothing of it is
removed; the failure is logged) and stops the run; running again goes on where it stopped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kokin.audit import retention
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.formats.dates import wareki_text
from kokin.formats.files import fsync_dir, write_atomic
from kokin.incidents.errors import IncidentError
from kokin.incidents.labels import rule_label
from kokin.incidents.models import Incident, IncidentNote, ReportVersion, State

log = logging.getLogger(__name__)

ACTION = "incident_expire"
MAGIC = "kokin incident"
VERSION = 1


@dataclass(frozen=True)
class Expired:
    number: int
    path: Path
    sha256: str
    notes: int
    reports: int


def due(now: dt.datetime | None = None) -> QuerySet[Incident]:
    """The done incidents closed before the retention's cut, oldest number first."""
    cut = retention.incident_cut(now)
    return Incident.objects.filter(state=State.CLOSED, closed_at__lt=cut).order_by("number")


def path_of(number: int) -> Path:
    return retention.archive_dir("incidents") / f"incident-{number:06d}.json"


def _fields(obj: models.Model, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: f.value_from_object(obj) for f in obj._meta.concrete_fields if f.name not in skip}


def _labels(model: type[models.Model]) -> dict[str, str]:
    return {f.name: str(f.verbose_name) for f in model._meta.concrete_fields}


def _wareki(when: dt.datetime | None) -> str | None:
    return wareki_text(timezone.localtime(when).date()) if when else None


def export(incident: Incident) -> dict[str, Any]:
    """Everything kept of ``incident``: its fields, its timeline, its report drafts, and what the fields
    are called in Japanese (``labels``)."""
    return {
        "archive": MAGIC,
        "v": VERSION,
        "exported_at": timezone.localtime(),
        "labels": {
            "incident": _labels(Incident),
            "note": _labels(IncidentNote),
            "report": _labels(ReportVersion),
        },
        "incident": _fields(incident)
        | {
            "state_label": incident.get_state_display(),
            "severity_label": incident.get_severity_display(),
            "rule_label": rule_label(incident.rule),
            "opened_at_wareki": _wareki(incident.opened_at),
            "closed_at_wareki": _wareki(incident.closed_at),
        },
        "notes": [_fields(note, skip=("incident",)) for note in incident.notes.order_by("at", "pk")],
        "reports": [_fields(report, skip=("incident",)) for report in incident.reports.order_by("version")],
    }


class _Encoder(DjangoJSONEncoder):
    """Django's, with times to the microsecond as the database keeps them (Django's cuts them to the
    millisecond)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            return o.isoformat(timespec="microseconds")
        return super().default(o)


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, cls=_Encoder, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def expire(*, actor: Actor, now: dt.datetime | None = None) -> list[Expired]:
    """Archive and remove every done incident past its retention; ``IncidentError`` on the first that
    fails (those before it stay done)."""
    done = []
    for number in due(now).values_list("number", flat=True):
        expired = expire_one(number, actor=actor, now=now)
        if expired is not None:
            done.append(expired)
    return done


def expire_one(number: int, *, actor: Actor, now: dt.datetime | None = None) -> Expired | None:
    """Archive and remove incident ``number`` if it is still due; ``None`` if it is not."""
    path = path_of(number)
    try:
        with transaction.atomic():
            incident = due(now).select_for_update().filter(number=number).first()
            if incident is None:
                return None
            raw = encode(export(incident))
            _write(path, raw)
            notes, reports = incident.notes.count(), incident.reports.count()
            incident.delete()
            sha256 = hashlib.sha256(raw).hexdigest()
            record(
                action=ACTION,
                actor=actor,
                object=f"incident:{number}",
                sha256=sha256,
                detail={
                    "file": str(path)[-255:],
                    "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
                    "notes": notes,
                    "reports": reports,
                    "retention_days": retention.INCIDENTS.days,
                },
            )
    except OSError as exc:
        _log_failure(number, path, actor, str(exc.strerror or exc))
        raise IncidentError(
            f"インシデント {number} のアーカイブ {path} を書けません ({exc.strerror or exc})。削除していません",
            f"cannot write the archive {path} of incident {number} ({exc.strerror or exc}); nothing was removed",
        ) from exc
    return Expired(number, path, sha256, notes, reports)


def _write(path: Path, raw: bytes) -> None:
    """Write atomically, fsync the folder, and read it back: the file must hold exactly ``raw``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, raw)
    fsync_dir(path.parent)
    if path.read_bytes() != raw:
        path.unlink(missing_ok=True)
        raise OSError(f"{path} does not read back as written")


def _log_failure(number: int, path: Path, actor: Actor, reason: str) -> None:
    try:
        record(
            action=ACTION,
            actor=actor,
            object=f"incident:{number}",
            outcome="error",
            detail={"file": str(path)[-255:], "error": reason},
        )
    except DatabaseError:
        log.exception("could not log the failed archive of incident %s", number)


def describe(expired: Expired) -> str:
    return (
        f"インシデント / incident {expired.number}: アーカイブして削除 / archived and removed "
        f"(経過 / notes {expired.notes}, 報告の案 / drafts {expired.reports}) → {expired.path}  "
        f"SHA-256 {expired.sha256}"
    )
