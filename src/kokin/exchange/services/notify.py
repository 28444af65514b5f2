"""The mail that tells a business's download operators a file arrived from the bank; its body is the
template ``exchange/mail/arrival.txt``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from kokin.accounts.models import Role, User
from kokin.audit.actor import COMMAND_ROLE, Actor
from kokin.audit.services import record
from kokin.exchange.models import ExchangeFile, ExchangePolicy

#: the arrival mail is the hub's doing: written as ``system`` in the command role, as it always was
NOTIFIER = Actor(name="system", role=COMMAND_ROLE)


def notify_arrival(*, file: ExchangeFile) -> int:
    """Mail the business's download operators that a file arrived: kind, business, counts and a link —
    no personal data. Returns the number of mails sent."""
    business = file.data_kind.business
    if not ExchangePolicy.for_business(business).notify_by_mail:
        return 0
    users = (
        User.objects.filter(is_active=True, roles__business=business, roles__role=Role.DOWNLOAD)
        .exclude(email="")
        .distinct()
    )
    base = str(settings.WEBAUTHN_ORIGIN).rstrip("/")
    link = base + reverse("exchange:detail", args=[file.id])
    subject = f"[kokin] 新しいファイルが届きました: {file.data_kind.label}"
    body = render_to_string(
        "exchange/mail/arrival.txt",
        {
            "business": business,
            "file": file,
            # formatted here, as they always were: the template's own number and date formats follow the locale
            "received_at": f"{timezone.localtime(file.received_at):%Y-%m-%d %H:%M}",
            "count": f"{file.total_count:,}",
            "batches": str(file.summary.get("batches", 0)),
            "link": link,
        },
    )
    sender = settings.DEFAULT_FROM_EMAIL
    messages = [(subject, body, sender, [u.email]) for u in users]
    sent = send_mass_mail(messages, fail_silently=True) if messages else 0
    record(
        action="exchange_notify",
        actor=NOTIFIER,
        object=f"file:{file.id}",
        detail={"recipients": len(messages), "sent": sent},
    )
    return sent
