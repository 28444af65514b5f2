"""The mail that tells a business's download operators a file arrived from the bank; its body is the
template ``exchange/mail/arrival.txt``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import timezone

from kokin.accounts.models import Role, User
from kokin.audit.services import COMMAND_ROLE, record
from kokin.exchange.models import ExchangeFile, ExchangePolicy


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
    base = str(getattr(settings, "WEBAUTHN_ORIGIN", "")).rstrip("/")
    link = base + reverse("exchange:detail", args=[file.id])
    subject = f"[kokin] 新しいファイルが届きました: {file.data_kind.label}"
    body = (
        f"{business.department.name} {business.name} に、金融機関から新しいファイルが届きました。\n\n"
        f"データ種別: {file.data_kind.label}\n"
        f"受信日時: {timezone.localtime(file.received_at):%Y-%m-%d %H:%M}\n"
        f"件数: {file.total_count:,} 件 ({file.summary.get('batches', 0)} バッチ)\n\n"
        f"ハブにログインして取得してください: {link}\n\n"
        "このメールには個人情報を含めていません。心当たりのない場合は業務管理者に連絡してください。\n"
    )
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "kokin@localhost")
    messages = [(subject, body, sender, [u.email]) for u in users]
    sent = send_mass_mail(messages, fail_silently=True) if messages else 0
    record(
        action="exchange_notify",
        actor="system",
        role=COMMAND_ROLE,
        object=f"file:{file.id}",
        detail={"recipients": len(messages), "sent": sent},
    )
    return sent
