"""The bank agent (連携エージェント): the bank's side of the bank link, a daemon like a HULFT node.

Each round it sends every finished file in ``outbox/<TRANSFER_ID>/`` to the hub (tus uploads, resumed
where they stopped) and collects every file the hub has waiting for the bank into ``inbox/`` (ranged
downloads, checked by SHA-256, acknowledged), then waits ``poll_seconds``. Everything it needs to resume
lives in ``<spool>/.agent/`` and is written atomically, so a SIGKILL at any moment loses at most the
bytes in flight; the hub's idempotent upload creation (by bank file ID) makes a resend harmless.

One line is logged per event, in Japanese and English, on standard output.

The package: this module is the agent and its round loop; :mod:`~kokin.bank.agent.send` and
:mod:`~kokin.bank.agent.receive` are its two halves, :mod:`~kokin.bank.agent.retry` the retry
policy, :mod:`~kokin.bank.agent.outcome` a transfer's record (history row, post-transfer jobs), and
:mod:`~kokin.bank.agent.daemon` the ``kokin bank agent`` process (logging, lock, signals, exit codes).
"""

from __future__ import annotations

import logging
import threading

from kokin.bank.agent.outcome import RoundResult
from kokin.bank.agent.receive import Receiving
from kokin.bank.agent.retry import GiveUp, Retrier, Stopped
from kokin.bank.agent.send import Sending
from kokin.bank.client import HubClient
from kokin.bank.config import AgentConfig
from kokin.bank.errors import AuthError
from kokin.bank.history import History
from kokin.bank.spool import Spool

__all__ = ["Agent", "GiveUp", "Retrier", "RoundResult", "Stopped"]

log = logging.getLogger("kokin.bank.agent")


class Agent(Sending, Receiving):
    def __init__(
        self, config: AgentConfig, *, stop: threading.Event | None = None, client: HubClient | None = None
    ) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.spool = Spool(config.spool_root)
        self.spool.create()
        self.history = History(self.spool.history_db)
        self.client = client or HubClient(config.hub, config.transfer, stop=self.stop)
        self.refused = set()

    def close(self) -> None:
        self.client.close()
        self.history.close()

    # --- one round ------------------------------------------------------------------------------

    def run_round(self) -> RoundResult:
        result = RoundResult()
        try:
            self.retry_acks(result)
            for item in self.spool.scan_outbox():
                if self.stop.is_set():
                    raise Stopped()
                self.send(item, result)
            self.receive_all(result)
        except AuthError as exc:
            # nothing will work until the account is fixed: say so once per round, not once per file
            log.error("ハブが認証を拒否しました / the hub refused authentication: %s", exc)
            result.errors += 1
        return result

    # --- rounds until stopped (the process around them: daemon.py) --------------------------------

    def run(self, *, once: bool = False) -> int:
        log.info(
            "エージェント開始 / agent started: hub %s, spool %s%s",
            self.config.hub.url,
            self.spool.root,
            " (1 回のみ / once)" if once else "",
        )
        status = 0
        try:
            while True:
                try:
                    result = self.run_round()
                except Stopped:
                    break
                if once:
                    status = 0 if result.ok else 1
                    break
                if self.stop.wait(self.config.transfer.poll_seconds):
                    break
        finally:
            log.info("エージェント停止 / agent stopped")
        return status
