"""Retention and erasure: the files whose retention has run out (:func:`due_files`), crypto-shredding
one with its deletion certificate (:func:`erase`), all of them (:func:`run_retention`), and a
business's exchange settings (:func:`set_policy`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from kokin.accounts.actors import role_on
from kokin.accounts.models import Business, User
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.exchange import certificates, states
from kokin.exchange.errors import ExchangeError
from kokin.exchange.models import DeletionCertificate, ExchangeFile, ExchangePolicy
from kokin.exchange.services._common import locked_row, log_file, move, retention
from kokin.exchange.states import State
from kokin.vault import services as vault


@dataclass
class Due:
    """A file whose retention has run out, and (after :func:`run_retention`) its certificate."""

    file: ExchangeFile
    due: dt.datetime
    reason: str
    certificate: DeletionCertificate | None = None
    error: str = ""


def due_files(*, now: dt.datetime | None = None) -> Iterator[Due]:
    """Every kept file whose retention has run out at ``now``, with the reason."""
    now = now or timezone.now()
    policies: dict[int, ExchangePolicy] = {}
    kept = ExchangeFile.objects.filter(state__in=[s.value for s in states.STORED]).select_related(
        "data_kind__business__department"
    )
    for file in kept.order_by("received_at").iterator(chunk_size=500):
        business = file.data_kind.business
        policy = policies.setdefault(business.pk, ExchangePolicy.for_business(business))
        due, reason = retention(file, policy)
        if due <= now:
            yield Due(file, due, reason)


def person(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.display_name or user.username} ({user.username})"


def approver_of(file: ExchangeFile) -> str:
    """Who approved the erasure: the inspector (検収), the approver of a collected file, the operator
    who withdrew it; otherwise the business's retention policy."""
    if file.state == State.INSPECTED and file.inspected_by is not None:
        return f"{person(file.inspected_by)} — 検収者"
    if file.state == State.COLLECTED and file.approved_by is not None:
        return f"{person(file.approved_by)} — 送信の承認者"
    if file.state == State.WITHDRAWN and file.withdrawn_by is not None:
        return f"{person(file.withdrawn_by)} — 取下げ者"
    return "業務の保存方針 (最長保存期間の満了による消去)"


def erase(*, file: ExchangeFile, reason: str, actor: Actor, scheduled: bool = False) -> DeletionCertificate:
    """Crypto-shred the file (its data key, then its body) and issue its deletion certificate.

    ``scheduled``: the retention run found it due. Any other erasure before the schedule's date is
    logged with that date, and the retention rule (:mod:`kokin.incidents.watch`) raises an incident."""
    now = timezone.now()
    business = file.data_kind.business
    with transaction.atomic():
        locked = locked_row(file)
        states.check(locked.state, State.ERASED)
        due = retention(locked, ExchangePolicy.for_business(business))[0]
        cert = DeletionCertificate(
            number=f"{timezone.localtime(now):%Y%m%d}-{locked.id.hex[:8].upper()}",
            file=locked,
            business=business,
            file_uid=locked.id,
            kind_label=f"{locked.data_kind.label} ({locked.data_kind.get_direction_display()})",
            business_label=f"{business.department.name} {business.name}",
            original_name=locked.original_name,
            size=locked.size,
            sha256=locked.sha256,
            received_at=locked.received_at,
            inspected_at=locked.inspected_at,
            erased_at=now,
            method=certificates.METHOD,
            reason=reason,
            approved_by=approver_of(locked),
            executed_by=actor.name,
            issued_at=now,
        )
        cert.pdf = certificates.render(cert)
        cert.pdf_sha256 = hashlib.sha256(cert.pdf).hexdigest()
        vault.shred(
            locked.blob_id,
            actor=actor.as_role(role_on(actor, business)),
            reason=f"exchange file {locked.id}: {reason}",
        )
        move(locked, State.ERASED, by=actor.name, at=now, certificate=cert.number)
        locked.erased_at = now
        locked.retention_due = None
        locked.save()
        cert.save()
        log_file(
            "exchange_erase",
            locked,
            actor=actor,
            detail={
                "certificate": cert.number,
                "certificate_sha256": cert.pdf_sha256,
                "reason": reason,
                "method": "crypto-shredding",
                "blob": str(locked.blob_id),
                # the retention schedule's date: an erasure before it is an incident (kokin.incidents.watch)
                "due": due.isoformat(),
                "scheduled": scheduled,
            },
        )
    return cert


def run_retention(*, actor: Actor, dry_run: bool = False, now: dt.datetime | None = None) -> list[Due]:
    """Erase every file whose retention has run out (``dry_run``: only list them). One file's failure
    is reported on it and does not stop the others."""
    found = list(due_files(now=now))
    if dry_run:
        return found
    for due in found:
        try:
            due.certificate = erase(file=due.file, reason=due.reason, actor=actor, scheduled=True)
        except ExchangeError as exc:
            due.error = str(exc)
    return found


def set_policy(*, business: Business, actor: Actor, **values: Any) -> ExchangePolicy:
    """Change a business's exchange settings (lead days, retention, upload limit, mail)."""
    with transaction.atomic():
        policy, _ = ExchangePolicy.objects.select_for_update().get_or_create(business=business)
        changed = {k: v for k, v in values.items() if v is not None and getattr(policy, k) != v}
        for key, value in changed.items():
            setattr(policy, key, value)
        policy.full_clean()
        policy.save()
        record(
            action="exchange_policy",
            actor=actor,
            role=role_on(actor, business),
            object=f"business:{business.code}",
            detail={"changed": changed},
        )
    return policy
