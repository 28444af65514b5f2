"""When approving a file asks for the second factor again (step-up): a file of at least
``APPROVAL_REAUTH_AMOUNT`` yen, always; any file when the session's last second factor is older than
``APPROVAL_REAUTH_MINUTES``. A second factor asked again is good for one approval within
:data:`kokin.accounts.services.STEP_UP_SECONDS`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from kokin.accounts import services as accounts
from kokin.exchange.models import ExchangeFile


def reason(session: SessionBase, file: ExchangeFile) -> str:
    """Why approving ``file`` now needs the second factor again (Japanese), or "" when it does not."""
    if accounts.has_step_up(session):
        return ""
    threshold = int(settings.APPROVAL_REAUTH_AMOUNT)
    amount = int(file.total_amount or 0)
    if amount >= threshold:
        return f"金額 {amount:,} 円が {threshold:,} 円以上のため"
    minutes = int(settings.APPROVAL_REAUTH_MINUTES)
    age = accounts.seconds_since_factor(session)
    if age is None or age > minutes * 60:
        return f"前回の第2要素の確認から {minutes} 分を過ぎたため"
    return ""
