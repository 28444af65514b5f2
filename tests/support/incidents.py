"""Test support: an incident about a business, for the pages of one incident in the role × endpoint test
(:data:`support.endpoints.SAMPLES`). Never used by the hub itself."""

from __future__ import annotations

from kokin.accounts.models import Business
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.incidents.services import raise_incident


def sample_incident(business: str) -> int:
    """A mass download from ``business`` that may involve personal data, with one entry as evidence;
    returns its number."""
    kind = Business.objects.get(code=business).data_kinds.order_by("pk").first()
    entry = record(action="exchange_download", actor=Actor(name="zeimu-get"), object="file:sample", outcome="success")
    incident = raise_incident(
        rule="mass_download",
        severity="high",
        subject=f"business:{business}",
        title=f"大量のダウンロード: 業務 {business}",
        summary="試験用のインシデントです。",
        evidence=[entry.seq],
        personal_data=True,
        businesses=[business],
        files=[{"id": "sample", "data_kind": kind.pk if kind else None, "records": 120}],
        actor=Actor.system(),
    )
    return incident.number
