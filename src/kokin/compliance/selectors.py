"""Reading the kept compliance reports (who may is decided by the caller: :mod:`.views`, :mod:`.services`)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kokin.compliance.models import ComplianceReport


def reports() -> QuerySet[ComplianceReport]:
    return ComplianceReport.objects.order_by("-made_at", "-pk")


def report(pk: int) -> ComplianceReport:
    return get_object_or_404(ComplianceReport, pk=pk)
