"""What the bank agent does when a transfer ends: the round's counts, the history row, the jobs.

:class:`AgentBase` holds the agent's state (config, spool, history, hub client) that the sending and
receiving halves share, and records a transfer that gave up (:meth:`AgentBase._give_up`) and runs
the configured post-transfer jobs (:meth:`AgentBase._jobs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kokin.bank.agent.retry import GiveUp
from kokin.bank.client import HubClient
from kokin.bank.config import AgentConfig
from kokin.bank.history import History, TransferRecord
from kokin.bank.jobs import run_jobs
from kokin.bank.spool import Spool

log = logging.getLogger("kokin.bank.agent")


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


class AgentBase:
    """The agent's state, shared by its sending and receiving halves (set by ``Agent.__init__``)."""

    config: AgentConfig
    stop: threading.Event
    spool: Spool
    history: History
    client: HubClient
    #: hub files whose conversion failed: not downloaded again until the agent restarts
    refused: set[str]

    def _give_up(
        self,
        direction: str,
        transfer_id: str,
        name: str,
        file_id: str | None,
        bank_id: str | None,
        size: int,
        sha256: str | None,
        started_at: str,
        t0: float,
        gave_up: GiveUp,
        result: RoundResult,
    ) -> None:
        reason = str(gave_up.cause)
        log.error(
            "%s失敗 (次回に再試行) / %s failed, left for a later round: %s/%s: %s",
            "配信" if direction == "send" else "集信",
            direction,
            transfer_id,
            name,
            reason,
        )
        self.history.add(
            TransferRecord(
                direction,
                transfer_id,
                name,
                file_id,
                bank_id,
                size,
                sha256,
                started_at,
                elapsed_ms(t0),
                gave_up.retries,
                "error",
                reason,
            )
        )
        result.errors += 1
        self._jobs(
            "sent" if direction == "send" else "received",
            "failure",
            transfer_id,
            None,
            file_id=file_id,
            bank_file_id=bank_id,
            sha256=sha256,
            size=size,
            label="error",
            reason=reason,
        )

    def _jobs(
        self,
        when: str,
        outcome: str,
        transfer_id: str,
        path: Path | None,
        *,
        file_id: str | None,
        bank_file_id: str | None,
        sha256: str | None,
        size: int | None,
        label: str,
        reason: str = "",
    ) -> None:
        if not self.config.jobs:
            return
        values = {
            "path": str(path) if path else "",
            "name": path.name if path else "",
            "transfer_id": transfer_id,
            "file_id": file_id or "",
            "bank_file_id": bank_file_id or "",
            "sha256": sha256 or "",
            "bytes": size if size is not None else "",
            "outcome": label,
            "reason": reason,
            "direction": when,
            "spool": str(self.spool.root),
        }
        run_jobs(self.config.jobs, when, outcome, transfer_id, values, cwd=str(self.config.path.parent))


def elapsed_ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
