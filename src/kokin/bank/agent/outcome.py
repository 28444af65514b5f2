"""What the bank agent does when a transfer ends: the round's counts, the history row, the jobs.

A :class:`Transfer` is one file on its way in one round: what its history row and its jobs are made
of. :class:`AgentBase` holds the agent's state (config, spool, history, hub client) that the sending
and receiving halves share; it runs a request with a transfer's retries
(:meth:`AgentBase.with_retries`), records a transfer that gave up (:meth:`AgentBase._give_up`) and
runs the configured post-transfer jobs (:meth:`AgentBase._jobs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kokin.bank.agent.retry import GiveUp, Retrier
from kokin.bank.client import HubClient
from kokin.bank.config import AgentConfig
from kokin.bank.history import History, TransferRecord
from kokin.bank.jobs import run_jobs
from kokin.bank.spool import Spool

log = logging.getLogger("kokin.bank.agent")

T = TypeVar("T")


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class RoundResult:
    sent: int = 0
    received: int = 0
    rejected: int = 0
    errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.errors


@dataclass
class Transfer:
    """One file on its way (配信 or 集信) in one round; the fields fill in as the transfer learns them."""

    direction: str  # send | receive
    transfer_id: str
    name: str
    #: counts this transfer's failed attempts and waits between them
    retrier: Retrier
    file_id: str | None = None
    bank_file_id: str | None = None
    size: int = 0
    sha256: str | None = None
    started_at: str = field(default_factory=now_iso)
    t0: float = field(default_factory=time.monotonic)

    @property
    def retries(self) -> int:
        return self.retrier.retries

    @property
    def done(self) -> str:
        """What the jobs call the direction: ``sent`` or ``received``."""
        return "sent" if self.direction == "send" else "received"

    def row(self, outcome: str, reason: str = "", *, duration_ms: int | None = None) -> TransferRecord:
        """The history row of this transfer ending with ``outcome``."""
        return TransferRecord(
            direction=self.direction,
            transfer_id=self.transfer_id,
            file_name=self.name,
            hub_file_id=self.file_id,
            bank_file_id=self.bank_file_id,
            bytes=self.size,
            sha256=self.sha256,
            started_at=self.started_at,
            duration_ms=elapsed_ms(self.t0) if duration_ms is None else duration_ms,
            retries=self.retries,
            outcome=outcome,
            reason=reason,
        )


class AgentBase:
    """The agent's state, shared by its sending and receiving halves (set by ``Agent.__init__``)."""

    config: AgentConfig
    stop: threading.Event
    spool: Spool
    history: History
    client: HubClient
    #: hub files whose conversion failed: not downloaded again until the agent restarts
    refused: set[str]

    def with_retries(self, fn: Callable[[], T], transfer: Transfer, result: RoundResult) -> T | None:
        """``fn()`` with the transfer's retries; ``None`` when they are spent (the failure is then
        logged and recorded, and the file waits for a later round). Any other error goes to the caller."""
        try:
            return transfer.retrier.call(fn)
        except GiveUp as gave_up:
            self._give_up(transfer, gave_up.cause, result)
            return None

    def _give_up(self, transfer: Transfer, cause: BaseException, result: RoundResult) -> None:
        reason = str(cause)
        log.error(
            "%s失敗 (次回に再試行) / %s failed, left for a later round: %s/%s: %s",
            "配信" if transfer.direction == "send" else "集信",
            transfer.direction,
            transfer.transfer_id,
            transfer.name,
            reason,
        )
        self.history.add(transfer.row("error", reason))
        result.errors += 1
        self._jobs(transfer, "failure", None, label="error", reason=reason)

    def _jobs(self, transfer: Transfer, outcome: str, path: Path | None, *, label: str, reason: str = "") -> None:
        if not self.config.jobs:
            return
        values = {
            "path": str(path) if path else "",
            "name": path.name if path else "",
            "transfer_id": transfer.transfer_id,
            "file_id": transfer.file_id or "",
            "bank_file_id": transfer.bank_file_id or "",
            "sha256": transfer.sha256 or "",
            "bytes": transfer.size,
            "outcome": label,
            "reason": reason,
            "direction": transfer.done,
            "spool": str(self.spool.root),
        }
        run_jobs(
            self.config.jobs, transfer.done, outcome, transfer.transfer_id, values, cwd=str(self.config.path.parent)
        )


def elapsed_ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
