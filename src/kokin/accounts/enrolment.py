"""One-time enrolment links (登録用リンク): how an operator gets a password and a second factor.

The system administrator never types or learns an operator's password. Creating an account or
resetting one (:func:`reset_credentials`) makes the password unusable, removes every second factor,
ends the session and issues a link signed by Django's :class:`PasswordResetTokenGenerator` (its own
salt): it expires after ``PASSWORD_RESET_TIMEOUT`` and works once, since the hash it carries covers
the password, which the operator's own choice then changes. Through it the operator sets a password
and enrols a new authenticator app (:mod:`kokin.accounts.enrolment_views`).

The link is mailed to the operator when the account has an e-mail address; otherwise it is shown to
the administrator to hand over by another route. The operator and every auditor are told by mail
that the reset happened and by whom; the reset, the mails and the use of the link are logged.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kokin.accounts.models import User
from kokin.accounts.services import reset_second_factors
from kokin.audit.actor import Actor
from kokin.audit.services import record

log = logging.getLogger(__name__)


class EnrolmentTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "kokin.accounts.enrolment.EnrolmentTokenGenerator"


tokens = EnrolmentTokenGenerator()


@dataclass(frozen=True)
class Issued:
    link: str
    mailed_to_operator: bool  # the link went to the operator's address; not shown to the administrator


def link_for(site_url: str, user: User) -> str:
    """The enrolment link for ``user`` on the hub at ``site_url`` (``https://hub.example/``)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("accounts:enrolment", kwargs={"uidb64": uid, "token": tokens.make_token(user)})
    return urljoin(site_url, path)


def _send(subject: str, body: str, recipients: list[str]) -> bool:
    if not recipients:
        return False
    try:
        send_mail(subject, body, None, recipients)
    except (smtplib.SMTPException, OSError):
        log.exception("kokin: mail to %s failed / メール送信に失敗しました", recipients)
        return False
    return True


def auditor_addresses() -> list[str]:
    return sorted(
        User.objects.filter(is_auditor=True, is_active=True).exclude(email="").values_list("email", flat=True)
    )


@transaction.atomic
def reset_credentials(*, actor: Actor, user: User, site_url: str, new: bool = False) -> Issued:
    """Make ``user``'s password unusable, remove their second factors and issue an enrolment link on
    the hub at ``site_url`` (as the administrator reached it: ``https://hub.example/``).

    ``new`` for an account just created (nothing to remove). Mails the operator (with the link when
    they have an address) and the auditors (without it), and logs the reset and who was told.
    """
    user.set_unusable_password()
    user.must_change_password = False  # the password the operator sets through the link is their own
    user.save(update_fields=["password", "must_change_password"])
    removed = 0 if new else reset_second_factors(actor=actor, user=user)
    link = link_for(site_url, user)
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    what = "アカウントが作成されました" if new else "パスワードと第2要素がリセットされました"
    mailed = _send(
        f"[kokin] {what}",
        f"{user.display_name or user.username} 様\n\n"
        f"{when} にシステム管理者 ({actor.name}) によって、kokin の ID「{user.username}」の{what}。\n"
        f"次のリンクから {hours} 時間以内に、ご自身でパスワードを設定し、認証アプリを登録してください。"
        f"リンクは1回だけ使えます。\n\n{link}\n\n"
        "心当たりがない場合は、このリンクを使わずに監査担当へ連絡してください。\n",
        [user.email] if user.email else [],
    )
    auditors = auditor_addresses()
    sent_to = f"本人のメールアドレス ({user.email})" if mailed else "システム管理者に表示 (別経路で本人へ手渡し)"
    told_auditors = _send(
        f"[kokin] 監査通知: {user.username} の{what}",
        f"{when} にシステム管理者 ({actor.name}) が、ID「{user.username}」の登録用リンクを発行しました"
        f" ({what})。\n"
        f"リンクの送付先: {sent_to}\n"
        "リンクが使われると操作ログに「登録用リンクの使用」が記録されます。\n",
        auditors,
    )
    record(
        action="enrolment_link_issue",
        actor=actor,
        object=f"user:{user.username}",
        detail={
            "new_account": new,
            "factors_removed": removed,
            "link_sent_to": user.email if mailed else "administrator",
            "notified": ([user.email] if mailed else []) + (auditors if told_auditors else []),
            "valid_hours": hours,
        },
    )
    return Issued(link=link, mailed_to_operator=mailed)
