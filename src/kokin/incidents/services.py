"""What changes an incident: raise (or join an open one), move it on, write a note, save a report draft.

Each service is keyword-only, runs in one transaction and writes its operation-log entry with the
:class:`~kokin.audit.actor.Actor` it is given (``Actor.system()`` when the hub raises an incident, the
operator's actor for a change). The mail to the administrators and auditors goes after the commit
(:mod:`kokin.incidents.mail`); its failure is kept on the incident, never lost with it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from kokin.accounts.permissions import Action, can
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.incidents import configured, mail
from kokin.incidents.errors import IncidentError
from kokin.incidents.models import Incident, IncidentNote, ReportVersion, Severity, State
from kokin.incidents.report import FIELDS

#: the one step each state may take
NEXT = {State.DETECTED: State.INVESTIGATING, State.INVESTIGATING: State.REPORTED, State.REPORTED: State.CLOSED}
SEVERITY_ORDER = list(Severity.values)
#: evidence entries kept on one incident: the first and the newest, half each
EVIDENCE_LIMIT = 1000
#: the PostgreSQL advisory lock that serialises raising incidents and the rules' counts (any fixed 64-bit number)
RAISE_LOCK = 0x6B6F6B696E_15


def lock() -> None:
    """Hold the incidents and the rules' counts until this transaction ends, so two raises of one event
    open one incident, numbers follow one another and two failures at once cannot both start a ban
    (SQLite's transactions are IMMEDIATE: its write lock does this)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RAISE_LOCK])


def merge_evidence(old: Iterable[int], new: Iterable[int], *, limit: int = EVIDENCE_LIMIT) -> list[int]:
    """The sorted, distinct entry numbers of both; past ``limit``, the oldest and newest halves."""
    merged = sorted(set(old) | set(new))
    if len(merged) <= limit:
        return merged
    return merged[: limit // 2] + merged[len(merged) - (limit - limit // 2) :]


def _file_refs(files: Iterable[Mapping[str, Any] | str]) -> list[dict[str, Any]]:
    """Files as ``{"id", "data_kind", "records"}``; a bare id is a file nothing more is known of."""
    refs = []
    for f in files:
        ref = {"id": f} if isinstance(f, str) else dict(f)
        refs.append({"id": str(ref["id"]), "data_kind": ref.get("data_kind"), "records": ref.get("records")})
    return refs


def _merge_files(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {f["id"]: f for f in old}
    for f in new:
        by_id[f["id"]] = {k: v if v is not None else by_id.get(f["id"], {}).get(k) for k, v in f.items()}
    return list(by_id.values())


def raise_incident(
    *,
    rule: str,
    severity: str,
    subject: str,
    title: str,
    summary: str,
    evidence: Sequence[int] = (),
    personal_data: bool = False,
    businesses: Sequence[str] = (),
    files: Sequence[Mapping[str, Any] | str] = (),
    actor: Actor,
) -> Incident:
    """Open an incident, or add to the open one of the same ``rule`` and ``subject`` last seen within the
    rules' ``dedup_hours``: its evidence, count and last-seen time grow, its severity never falls.
    ``files`` are ids or ``{"id", "data_kind", "records"}`` (the 漏えい等報告 counts from them)."""
    severity = Severity(severity)
    now = timezone.now()
    refs = _file_refs(files)
    with transaction.atomic():
        lock()
        since = now - dt.timedelta(hours=configured.rules().dedup_hours)
        found = (
            Incident.objects.filter(rule=rule, subject=subject, last_seen__gte=since)
            .exclude(state=State.CLOSED)
            .order_by("-number")
            .first()
        )
        if found is not None:
            return _repeat(found, severity, now, evidence, personal_data, businesses, refs, actor)
        number = (Incident.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        incident = Incident.objects.create(
            number=number,
            rule=rule,
            severity=severity,
            subject=subject[:255],
            title=title[:200],
            summary=summary,
            evidence=merge_evidence([], evidence),
            first_seen=now,
            last_seen=now,
            may_involve_personal_data=personal_data,
            businesses=sorted(set(businesses)),
            files=refs,
        )
        IncidentNote.objects.create(
            incident=incident, author=actor.name, role=actor.role, to_state=State.DETECTED, text=summary
        )
        _log(
            "incident_open", incident, actor, rule=rule, severity=severity, subject=subject, evidence=incident.evidence
        )
        transaction.on_commit(functools.partial(mail.notify_opened, incident.pk), robust=True)
    return incident


def _repeat(
    incident: Incident,
    severity: Severity,
    now: dt.datetime,
    evidence: Sequence[int],
    personal_data: bool,
    businesses: Sequence[str],
    refs: list[dict[str, Any]],
    actor: Actor,
) -> Incident:
    incident.occurrences += 1
    incident.last_seen = now
    incident.evidence = merge_evidence(incident.evidence, evidence)
    incident.severity = max(incident.severity, severity, key=SEVERITY_ORDER.index)
    incident.may_involve_personal_data = incident.may_involve_personal_data or personal_data
    incident.businesses = sorted(set(incident.businesses) | set(businesses))
    incident.files = _merge_files(incident.files, refs)
    incident.save()
    _log("incident_repeat", incident, actor, occurrences=incident.occurrences, evidence=merge_evidence([], evidence))
    return incident


def _log(action: str, incident: Incident, actor: Actor, **detail: Any) -> None:
    record(action=action, actor=actor, object=f"incident:{incident.number}", detail=detail)


def _may_handle(actor: Actor) -> None:
    """An operator must hold the right; the hub itself and a command (no account) act for the ward."""
    if actor.user is not None and not can(actor.user, Action.HANDLE_INCIDENTS):
        raise PermissionDenied


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def advance(*, incident: Incident, to: str, note: str, actor: Actor) -> Incident:
    """Move ``incident`` one step on (検知 → 調査中 → 報告済 → 完了) with ``note`` saying why."""
    _may_handle(actor)
    note = note.strip()
    if not note:
        raise IncidentError("状態を変えるには経過を記入してください", "moving an incident needs a note")
    with transaction.atomic():
        locked = _locked(incident)
        current = State(locked.state)
        if NEXT.get(current) != to:
            target = State(to).label if to in State.values else to
            raise IncidentError(
                f"「{current.label}」のインシデントを「{target}」にすることはできません",
                f"an incident in state {current.value} cannot move to {to}",
            )
        locked.state = to
        if to == State.CLOSED:
            locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "closed_at"])
        IncidentNote.objects.create(
            incident=locked, author=actor.name, role=actor.role, from_state=current, to_state=to, text=note
        )
        _log("incident_advance", locked, actor, **{"from": current.value, "to": to})
    return locked


def add_note(*, incident: Incident, text: str, actor: Actor) -> IncidentNote:
    """A line on the timeline (a finding, an instruction from the ward, a call made)."""
    _may_handle(actor)
    text = text.strip()
    if not text:
        raise IncidentError("経過の内容を記入してください", "a note needs a text")
    with transaction.atomic():
        note = IncidentNote.objects.create(incident=incident, author=actor.name, role=actor.role, text=text)
        _log("incident_note", incident, actor, note=note.pk)
    return note


def save_report(*, incident: Incident, content: Mapping[str, str], malicious: bool, actor: Actor) -> ReportVersion:
    """Keep the next version of the 漏えい等報告 draft (earlier versions stay as they were)."""
    _may_handle(actor)
    if not incident.may_involve_personal_data:
        raise IncidentError(
            "個人データを含むおそれのないインシデントには漏えい等報告の案を作りません",
            "a report draft is only for an incident that may involve personal data",
        )
    with transaction.atomic():
        locked = _locked(incident)
        last = locked.reports.aggregate(n=Max("version"))["n"] or 0
        version = ReportVersion.objects.create(
            incident=locked,
            version=last + 1,
            saved_by=actor.name,
            malicious=malicious,
            content={code: str(content.get(code, "")) for code, _ in FIELDS},
        )
        _log("incident_report_save", locked, actor, version=version.version, malicious=malicious)
    return version
