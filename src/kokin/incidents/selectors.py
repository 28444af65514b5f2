"""Reading incidents: the list, one incident, its evidence (operation-log entries), the files it names.

Only the system administrator and the auditor may read them (:data:`Action.VIEW_INCIDENTS`); the views
check that before they call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from kokin.accounts.models import Business, DataKind
from kokin.audit.models import AuditEntry
from kokin.incidents.models import Incident, ReportVersion, State
from kokin.incidents.personal_items import items_of


def incidents(*, state: str = "") -> QuerySet[Incident]:
    """Newest first; open ones (not 完了) only when ``state`` is ``"open"``."""
    rows = Incident.objects.order_by("-number")
    if state == "open":
        return rows.exclude(state=State.CLOSED)
    if state in State.values:
        return rows.filter(state=state)
    return rows


def incident(number: int) -> Incident:
    found = Incident.objects.filter(number=number).first()
    if found is None:
        raise Http404("no such incident")
    return found


def evidence(incident: Incident) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__in=incident.evidence).order_by("seq"))


def latest_report(incident: Incident) -> ReportVersion | None:
    return incident.reports.order_by("-version").first()


@dataclass(frozen=True)
class FileInfo:
    """A file the incident names, with what 別紙1 says it holds."""

    id: str
    kind: str  # the data kind's label, "" when unknown
    business: str  # the business's name
    records: int | None
    items: list[str]


def files(incident: Incident) -> list[FileInfo]:
    refs: list[dict[str, Any]] = incident.files
    ids = [r["data_kind"] for r in refs if r.get("data_kind")]
    kinds = DataKind.objects.select_related("business__department").in_bulk(ids)
    found = []
    for ref in refs:
        kind = kinds.get(ref.get("data_kind"))
        found.append(
            FileInfo(
                id=ref["id"],
                kind=kind.label if kind else "",
                business=kind.business.name if kind else "",
                records=ref.get("records"),
                items=_items(kind) if kind else [],
            )
        )
    return found


def _items(kind: DataKind) -> list[str]:
    return items_of(kind.format, kind.direction, department=kind.business.department.code)


def business_kinds(incident: Incident) -> list[tuple[Business, list[tuple[str, list[str]]]]]:
    """The businesses the incident names, each with its data kinds and their items (別紙1)."""
    found = []
    rows = Business.objects.filter(code__in=incident.businesses).select_related("department").order_by("code")
    for business in rows:
        code = business.department.code
        kinds = business.data_kinds.order_by("pk")
        found.append((business, [(k.label, items_of(k.format, k.direction, department=code)) for k in kinds]))
    return found
