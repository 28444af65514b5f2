"""Per-address limit on failed logins (接続元アドレスごとの失敗回数の制限), beside the per-ID lockout.

The per-ID lockout (django-axes, ``AXES_LOCKOUT_PARAMETERS = ["username"]``) stops guessing one
account's password; it does not stop one address trying a few passwords on each of many IDs. So
every failure axes counts — wrong passwords, wrong second factors, wrong re-entered passwords — is
also counted for the client address, and after :data:`settings.ADDRESS_FAILURE_LIMIT` failures
within :data:`settings.ADDRESS_COOLOFF` that address is refused for that long (HTTP 429) on the
login pages, without its attempts being checked or counted against any ID.

Why not axes' own lockout parameters: axes has one failure limit and one cool-off for all of them
(``["username", "ip_address"]`` would lock an office's NAT address after five typos), so the
address count is taken from axes' failure log (``AccessFailureLog``, one row per failure with the
address from :func:`kokin.accounts.network.client_ip`), written by :class:`AddressCountingHandler`,
axes' database handler with this count added. The rows are in the database, so every gunicorn
worker and every app server sees the same count; a locmem cache would give each worker its own.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone

from kokin.accounts.actors import actor_of
from kokin.audit.actor import Actor
from kokin.audit.services import record


def _window() -> timedelta:
    value: timedelta = settings.ADDRESS_COOLOFF
    return value


def _recent(address: str, now: datetime, count: int) -> list[datetime]:
    """The newest ``count`` failures of ``address`` that can still matter, newest first."""
    rows = AccessFailureLog.objects.filter(ip_address=address, attempt_time__gte=now - 2 * _window())
    return list(rows.order_by("-attempt_time").values_list("attempt_time", flat=True)[:count])


def _locked_until(times: list[datetime]) -> datetime | None:
    """When the refusal ends, if the newest failure in ``times`` (newest first) was the limit's
    within one window.

    Refused attempts are not counted, so a refused address's newest failure is the one that
    reached the limit, and the refusal runs one window from it.
    """
    limit = settings.ADDRESS_FAILURE_LIMIT
    if len(times) < limit or times[0] - times[limit - 1] > _window():
        return None
    return times[0] + _window()


def retry_after(address: str) -> int | None:
    """Seconds until ``address`` (a request's, :func:`kokin.accounts.network.client_ip`) may try to log
    in again; ``None``: it may now."""
    if not address:
        return None
    now = timezone.now()
    until = _locked_until(_recent(address, now, settings.ADDRESS_FAILURE_LIMIT))
    if until is None or until <= now:
        return None
    return max(1, math.ceil((until - now).total_seconds()))


def _counted(tried: Actor) -> None:
    """After a failure (by ``tried``: the ID tried, from an address) was written: drop the rows no count
    needs, and log when this failure locks the address (once per lock: the attempts refused afterwards
    are neither counted nor logged)."""
    address = tried.client_ip
    if not address:
        return
    now = timezone.now()
    AccessFailureLog.objects.filter(attempt_time__lt=now - 2 * _window()).delete()
    times = _recent(address, now, settings.ADDRESS_FAILURE_LIMIT + 1)
    if _locked_until(times) is None:
        return
    before = _locked_until(times[1:])  # a failure that slipped in while locked (two at once) extends it
    if before is not None and before > times[0]:
        return
    record(
        action="address_lockout",
        actor=tried,
        object=f"address:{address}",
        outcome="denied",
        detail={
            "failures": settings.ADDRESS_FAILURE_LIMIT,
            "minutes": int(_window().total_seconds() // 60),
        },
    )


class AddressCountingHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes has no type hints
    """django-axes' database handler (per-ID lockout unchanged) that also counts the failure for the
    client address (``AXES_HANDLER``; needs ``AXES_ENABLE_ACCESS_FAILURE_LOG``)."""

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None:
            _counted(actor_of(request, name=str((credentials or {}).get("username") or "")[:150]))
