"""What each role's home page shows of the exchange: the sender's businesses and own files by state, the
files awaiting the approver, and the files newly arrived for the download operator. Reads only, each
filtered by permission (:mod:`kokin.exchange.selectors`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from kokin.accounts.models import Business, DataKind, User
from kokin.accounts.permissions import Action
from kokin.exchange.models import ExchangeFile
from kokin.exchange.selectors import businesses_where, files_visible_to
from kokin.exchange.states import State

#: how many of the sender's recent files, the approver's waiting files and the new arrivals are listed
RECENT = 10
WAITING = 50
ARRIVALS = 20


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class SenderDesk:
    """送信担当: where they may send, how many of their own files are in each state, the latest ones."""

    businesses: list[Business]
    counts: list[StateCount]
    recent: list[ExchangeFile]


def sender_desk(user: User) -> SenderDesk | None:
    """The sender's part of the home page, or None when ``user`` may send for no business."""
    businesses = list(businesses_where(user, Action.UPLOAD_FILE))
    if not businesses:
        return None
    own = ExchangeFile.objects.filter(uploaded_by=user, data_kind__business__in=businesses)
    per_state = {row["state"]: row["n"] for row in own.order_by().values("state").annotate(n=Count("pk"))}
    counts = [StateCount(s.value, s.label, per_state[s.value]) for s in State if per_state.get(s.value)]
    recent = list(
        own.select_related("data_kind__business")
        .defer("summary", "warnings", "history")
        .order_by("-received_at")[:RECENT]
    )
    return SenderDesk(businesses, counts, recent)


def awaiting_approval_for(user: User) -> QuerySet[ExchangeFile]:
    """The files ``user`` may approve now, oldest first: waiting in a business where they approve, and
    not sent by themselves (four eyes)."""
    return (
        files_visible_to(user, state=State.AWAITING_APPROVAL, direction=DataKind.Direction.OUTBOUND)
        .filter(data_kind__business__in=businesses_where(user, Action.APPROVE_FILE))
        .exclude(uploaded_by=user)
        .defer("warnings", "history")
        .order_by("received_at")
    )


@dataclass(frozen=True)
class Arrival:
    """A file newly arrived from the bank, as the 取得担当 checks it."""

    file: ExchangeFile
    #: 収納日 of collection data: the first and last payment dates in the file (equal when one day)
    paid_from: dt.date | None
    paid_until: dt.date | None


def arrivals_for(user: User) -> list[Arrival]:
    """Files from the bank not downloaded yet, in the businesses where ``user`` sees files, newest first."""
    files = files_visible_to(user, state=State.AVAILABLE, direction=DataKind.Direction.INBOUND)
    return [_arrival(f) for f in files.defer("warnings", "history")[:ARRIVALS]]


def _arrival(file: ExchangeFile) -> Arrival:
    dates = (file.summary or {}).get("payment_dates") or []
    if len(dates) != 2:
        return Arrival(file, None, None)
    return Arrival(file, dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[1]))
