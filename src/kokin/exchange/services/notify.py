"""The mails of the exchange: to a business's download operators that a file arrived from the bank
(``exchange/mail/arrival.txt``), and to its approvers that a file sent for the bank awaits their
approval (``exchange/mail/awaiting_approval.txt``), also when an approval was withdrawn and the file
waits again. Both are sent after the file's transaction commits,
carry no personal data, and are logged (``exchange_notify``, ``exchange_notify_approval``)."""

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
from kokin.formats.dates import wareki_text

#: the arrival mail is the hub's doing: written as ``system`` in the command role, as it always was
NOTIFIER = Actor(name="system", role=COMMAND_ROLE)


def _when(file: ExchangeFile) -> str:
    """受信日時 with 和暦 beside, formatted here: the template's own date formats follow the locale."""
    local = timezone.localtime(file.received_at)
    return f"{local:%Y-%m-%d %H:%M} ({wareki_text(local.date())})"


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
            # formatted here: the template's own number and date formats follow the locale
            "received_at": _when(file),
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


def notify_awaiting_approval(*, file: ExchangeFile, again: bool = False) -> int:
    """Mail the business's approvers (all but the file's sender) that a file waits for their approval:
    business, kind, count, amount, debit date, sender and a link — no personal data. ``again``: it waits
    once more because its approval was withdrawn (the mail says so; the reason stays on the hub).
    Returns the number of mails sent."""
    business = file.data_kind.business
    users = (
        User.objects.filter(is_active=True, roles__business=business, roles__role=Role.APPROVE)
        .exclude(email="")
        .exclude(pk=file.uploaded_by_id or 0)  # four eyes: the sender approves no file of their own
        .distinct()
    )
    link = str(settings.WEBAUTHN_ORIGIN).rstrip("/") + reverse("exchange:detail", args=[file.id])
    sender = file.uploaded_by
    body = render_to_string(
        "exchange/mail/awaiting_approval.txt",
        {
            "business": business,
            "file": file,
            "count": f"{file.total_count:,}",
            "amount": f"{file.total_amount:,}",
            "debit_date": f"{file.debit_date:%Y-%m-%d} ({wareki_text(file.debit_date)})" if file.debit_date else "",
            "uploaded_by": (sender.display_name or sender.username) if sender is not None else file.received_by,
            "received_at": _when(file),
            "again": again,
            "link": link,
        },
    )
    subject = f"[kokin] 承認待ちのファイルがあります: {business.name} {file.data_kind.label}"
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users]
    sent = send_mass_mail(messages, fail_silently=True) if messages else 0
    record(
        action="exchange_notify_approval",
        actor=NOTIFIER,
        object=f"file:{file.id}",
        detail={"recipients": len(messages), "sent": sent} | ({"again": True} if again else {}),
    )
    return sent
