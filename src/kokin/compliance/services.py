"""Making a compliance report (:func:`make`) and handing out a kept one (:func:`read_pdf`).

Both take who does it as an :class:`~kokin.audit.actor.Actor`: an operator must hold
:data:`~kokin.accounts.permissions.Action.COMPLIANCE_REPORTS` (the system administrator, the auditor);
a ``kokin`` command (no account) acts for the ward. Each writes its operation-log entry
(``compliance_report``, ``compliance_report_download``) with the PDF's SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kokin.accounts.permissions import Action, can
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.compliance.models import ComplianceReport
from kokin.compliance.period import Period, check_started
from kokin.compliance.render import render
from kokin.compliance.sections import Context, build_all
from kokin.vault import services as vault
from kokin.vault.errors import VaultError


@dataclass(frozen=True)
class Made:
    report: ComplianceReport
    pdf: bytes


def _may_report(actor: Actor) -> None:
    if actor.user is not None and not can(actor.user, Action.COMPLIANCE_REPORTS):
        raise PermissionDenied


def made_by(actor: Actor) -> str:
    """Who made it, as the report prints it: ``auditor (監査者)``, ``os:kokin (コマンド)``."""
    return f"{actor.name} ({actor.role})" if actor.role else actor.name


def _object(report: ComplianceReport) -> str:
    return f"compliance_report:{report.pk}"


def make(*, period: Period, actor: Actor) -> Made:
    """Build every section for ``period``, render the PDF, keep it encrypted and log it; a period that
    has not begun is refused (:class:`~kokin.compliance.errors.PeriodError`)."""
    _may_report(actor)
    check_started(period)
    context = Context(period=period, made_at=timezone.now(), made_by=made_by(actor))
    sections = build_all(context)
    body = render(context, sections)
    digest = hashlib.sha256(body).hexdigest()
    facts: dict[str, Any] = {}
    for section in sections:
        facts.update(section.facts)
    sealed = vault.seal([body], expected_sha256=digest)
    try:
        # the blob's row, the report's row and the entry commit together (a crash leaves only a body
        # with no row, which vault.sweep removes)
        with transaction.atomic():
            blob = sealed.save()
            report = ComplianceReport.objects.create(
                period_start=period.start,
                period_end=period.end,
                made_at=context.made_at,
                made_by=actor.name[:150],
                made_by_role=actor.role[:100],
                sha256=digest,
                size=len(body),
                blob=blob,
                log_verified=bool(facts.get("verify_ok")),
            )
            record(
                action="compliance_report",
                actor=actor,
                object=_object(report),
                sha256=digest,
                detail={
                    "period_start": period.start.isoformat(),
                    "period_end": period.end.isoformat(),
                    "size": len(body),
                    "blob": str(blob.id),
                    **facts,
                },
            )
    except BaseException:
        sealed.discard()
        raise
    return Made(report, body)


def read_pdf(*, report: ComplianceReport, actor: Actor) -> bytes:
    """The kept PDF, decrypted and checked whole; the download is logged (an unreadable one too, as an
    error, and :class:`~kokin.vault.errors.VaultError` raised)."""
    _may_report(actor)
    period = {"period_start": report.period_start.isoformat(), "period_end": report.period_end.isoformat()}
    try:
        with vault.open_blob(report.blob_id) as reader:
            body = reader.read()
    except VaultError as exc:
        record(
            action="compliance_report_download",
            actor=actor,
            object=_object(report),
            sha256=report.sha256,
            outcome="error",
            detail={**period, "reason": exc.message_en},
        )
        raise
    record(
        action="compliance_report_download", actor=actor, object=_object(report), sha256=report.sha256, detail=period
    )
    return body
