"""The lifecycle of an exchanged file: its states and the one table of allowed transitions.

::

    outbound (金融機関へ):  received → validated → awaiting_approval ⇄ approved → collected → erased
                                                        └────────┬────────┘
                                                              withdrawn → erased
    inbound (金融機関から): received → validated → available → downloaded → inspected → erased
    either:                received → rejected (nothing is stored)
                           received → quarantined → erased (malware found: kept encrypted, never
                           downloadable); a rescan after a signature update quarantines a waiting file

Every state but ``erased`` and ``rejected`` may also go straight to ``erased`` when the retention
limit (at the latest M days after receipt) is reached. ``approved → awaiting_approval`` is the
approver withdrawing their own approval before the bank collects the file. :func:`check` is the only place that says
whether a transition is allowed; services call it before every change.
"""

from __future__ import annotations

from django.db import models

from kokin.exchange.errors import IllegalTransition


class State(models.TextChoices):
    RECEIVED = "received", "受信"
    VALIDATED = "validated", "検証済"
    REJECTED = "rejected", "受付拒否"
    AWAITING_APPROVAL = "awaiting_approval", "承認待ち"
    APPROVED = "approved", "承認済 (金融機関の取得待ち)"
    COLLECTED = "collected", "金融機関取得済"
    WITHDRAWN = "withdrawn", "取下げ"
    AVAILABLE = "available", "取得可能 (新着)"
    DOWNLOADED = "downloaded", "取得済"
    INSPECTED = "inspected", "検収済"
    ERASED = "erased", "消去済"
    QUARANTINED = "quarantined", "隔離 (ウイルス検出)"


S = State
TRANSITIONS: dict[State, frozenset[State]] = {
    S.RECEIVED: frozenset({S.VALIDATED, S.REJECTED, S.QUARANTINED}),
    S.VALIDATED: frozenset({S.AWAITING_APPROVAL, S.AVAILABLE}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.WITHDRAWN, S.ERASED, S.QUARANTINED}),
    S.APPROVED: frozenset({S.COLLECTED, S.AWAITING_APPROVAL, S.WITHDRAWN, S.ERASED, S.QUARANTINED}),
    S.COLLECTED: frozenset({S.ERASED}),
    S.WITHDRAWN: frozenset({S.ERASED}),
    S.AVAILABLE: frozenset({S.DOWNLOADED, S.ERASED, S.QUARANTINED}),
    S.QUARANTINED: frozenset({S.ERASED}),
    S.DOWNLOADED: frozenset({S.INSPECTED, S.ERASED}),
    S.INSPECTED: frozenset({S.ERASED}),
    S.ERASED: frozenset(),
    S.REJECTED: frozenset(),
}
#: states whose file body is still kept in the vault
STORED = frozenset(s for s in State if s not in (S.RECEIVED, S.VALIDATED, S.REJECTED, S.ERASED))
#: the states in which the file's job is done, so the shorter retention period runs from then
DONE = frozenset({S.INSPECTED, S.COLLECTED, S.WITHDRAWN})


def allowed(current: str, target: str) -> bool:
    return State(target) in TRANSITIONS[State(current)]


def check(current: str, target: str) -> None:
    """Raise :class:`IllegalTransition` unless ``current → target`` is in :data:`TRANSITIONS`."""
    if not allowed(current, target):
        raise IllegalTransition(current, target, State(current).label, State(target).label)
