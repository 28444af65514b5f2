"""The mail that tells every active system administrator and auditor an incident was opened (別紙3 第15条:
report at once); its body is the template ``incidents/mail/opened.txt``.

Sent after the incident's transaction commits. A failure (no mail server, a refused recipient) never
undoes the incident: the status, the error and the attempts are kept on it, the list and the detail
page show them, and ``kokin incidents mail --retry`` sends again what failed.
"""

from __future__ import annotations

import datetime as dt
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kokin.accounts.models import User
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.incidents.labels import rule_label
from kokin.incidents.models import Incident, MailStatus

#: a mail still pending this long after the incident opened was lost with its process: retried too
STALE_PENDING = dt.timedelta(minutes=10)


def recipients() -> list[str]:
    """The addresses of the active system administrators and auditors."""
    found = (
        User.objects.filter(Q(is_system_admin=True) | Q(is_auditor=True), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(found))


def notify_opened(pk: int) -> bool:
    """Mail the news of incident ``pk`` (called after its commit, as the hub)."""
    return send(Incident.objects.get(pk=pk), actor=Actor.system())


def send(incident: Incident, *, actor: Actor) -> bool:
    """Send the mail of ``incident`` to everyone in :func:`recipients`; True when it was accepted."""
    to = recipients()
    error = ""
    if to:
        message = EmailMessage(
            subject=f"[kokin] インシデント {incident.number} ({incident.get_severity_display()}): {incident.title}",
            body=_body(incident),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
        )
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
    status = MailStatus.NOBODY if not to else MailStatus.FAILED if error else MailStatus.SENT
    incident.mail_status, incident.mail_error = status, error
    incident.mail_attempts += 1
    if status == MailStatus.SENT:
        incident.mail_sent_at = timezone.now()
    incident.save(update_fields=["mail_status", "mail_error", "mail_attempts", "mail_sent_at"])
    record(
        action="incident_mail",
        actor=actor,
        object=f"incident:{incident.number}",
        outcome="success" if status == MailStatus.SENT else "failure",
        detail={"recipients": len(to), "status": status.value, "attempt": incident.mail_attempts, "error": error},
    )
    return status == MailStatus.SENT


def _body(incident: Incident) -> str:
    link = str(settings.WEBAUTHN_ORIGIN).rstrip("/") + reverse("incidents:detail", args=[incident.number])
    return render_to_string(
        "incidents/mail/opened.txt", {"incident": incident, "rule": rule_label(incident.rule), "link": link}
    )


def unsent() -> list[Incident]:
    """The incidents whose mail failed, found nobody, or has been pending too long."""
    stale = timezone.now() - STALE_PENDING
    return list(
        Incident.objects.filter(
            Q(mail_status__in=[MailStatus.FAILED, MailStatus.NOBODY])
            | Q(mail_status=MailStatus.PENDING, opened_at__lt=stale)
        ).order_by("number")
    )


def retry(*, actor: Actor) -> tuple[int, int]:
    """Send the mail of every :func:`unsent` incident again; (sent, still not sent)."""
    results = [send(incident, actor=actor) for incident in unsent()]
    return sum(results), len(results) - sum(results)
