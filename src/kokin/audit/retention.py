"""Retention classes (保存期間の区分): how long each kind of record stays in the hub's database.

The ward decides the days (``KOKIN_RETAIN_*``, at least :data:`MINIMUM`; the check ``kokin.E201``
refuses less). When they have run out the records are not destroyed: they move to an archive file
(``KOKIN_ARCHIVE_DIR``) that the ward keeps under its own rules for documents, and leave the database.

The operation log and the access log (the page views the hub writes, actions :data:`ACCESS_ACTIONS`)
are one hash chain: the chain can only be cut at one point, so both are archived at the point of the
longer of their two periods (:func:`log_cut`) — a page view is kept at least its own period, and as
long as the operation log when that is longer. Done incidents are the third class
(:mod:`kokin.incidents.expiry`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

#: the least any class may be set to: a year (the guideline's floor for logs)
MINIMUM = 365
#: the entries of the access log (page views on the site and through the API) within the one chain
ACCESS_ACTIONS = ("view", "api_view")


@dataclass(frozen=True)
class RetentionClass:
    code: str
    variable: str
    setting: str
    label: str

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting))


OPERATION_LOG = RetentionClass(
    "operation_log", "KOKIN_RETAIN_OPERATION_LOG_DAYS", "RETAIN_OPERATION_LOG_DAYS", "操作ログ"
)
ACCESS_LOG = RetentionClass(
    "access_log", "KOKIN_RETAIN_ACCESS_LOG_DAYS", "RETAIN_ACCESS_LOG_DAYS", "アクセスログ (閲覧)"
)
INCIDENTS = RetentionClass("incidents", "KOKIN_RETAIN_INCIDENTS_DAYS", "RETAIN_INCIDENTS_DAYS", "完了したインシデント")
CLASSES = (OPERATION_LOG, ACCESS_LOG, INCIDENTS)


def log_days() -> int:
    """The days the one chain keeps its entries: the longer of the operation and the access log's."""
    return max(OPERATION_LOG.days, ACCESS_LOG.days)


def log_cut(now: dt.datetime | None = None) -> dt.datetime:
    """Entries written before this are due for the archive."""
    return (now or timezone.now()) - dt.timedelta(days=log_days())


def incident_cut(now: dt.datetime | None = None) -> dt.datetime:
    """Done incidents closed before this are due for the archive."""
    return (now or timezone.now()) - dt.timedelta(days=INCIDENTS.days)


def archive_dir(kind: str) -> Path:
    """The folder of one kind of archive (``audit``, ``incidents``) under ``KOKIN_ARCHIVE_DIR``."""
    return Path(settings.ARCHIVE_DIR) / kind
