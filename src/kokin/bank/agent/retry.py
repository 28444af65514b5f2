"""The retry policy of the bank agent: each transfer's failures counted, exponential backoff with jitter.

:class:`Retrier` waits between attempts and raises :class:`GiveUp` when a transfer's retries are
spent (the file stays for a later round) or :class:`Stopped` when a stop is asked for while it waits;
:meth:`Retrier.call` is the loop around one request: again after each :class:`TransientError`.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from kokin.bank.config import AgentConfig
from kokin.bank.errors import TransientError

log = logging.getLogger("kokin.bank.agent")

T = TypeVar("T")


class GiveUp(Exception):
    """The retries of one transfer are spent; the file stays where it is for a later round."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(str(cause))


class Stopped(Exception):
    """A stop was asked for (SIGINT/SIGTERM): leave the current transfer resumable and end."""


class _Waiting(Protocol):
    """What a :class:`Retrier` needs of the agent: its transfer settings and its stop event."""

    config: AgentConfig
    stop: threading.Event


class Retrier:
    """Counts a transfer's failures and waits between attempts: exponential backoff with jitter."""

    def __init__(self, agent: _Waiting, what: str) -> None:
        self.agent = agent
        self.what = what
        #: retries so far (each after a failed attempt); never more than the configured number
        self.retries = 0

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()``, tried again after each :class:`TransientError` until it succeeds."""
        while True:
            try:
                return fn()
            except TransientError as exc:
                self.failed(exc)

    def failed(self, exc: BaseException) -> None:
        cfg = self.agent.config.transfer
        if self.retries >= cfg.retries:
            raise GiveUp(exc)
        self.retries += 1
        delay = min(cfg.backoff_max_seconds, cfg.backoff_seconds * 2 ** (self.retries - 1))
        # jitter: agents of several banks (or a restarted hub's clients) must not retry in lockstep
        delay = random.uniform(delay / 2, delay) if delay > 0 else 0.0
        log.warning(
            "再試行 %d/%d (%.1f 秒後) / retry %d of %d in %.1f s: %s: %s",
            self.retries,
            cfg.retries,
            delay,
            self.retries,
            cfg.retries,
            delay,
            self.what,
            exc,
        )
        if self.agent.stop.wait(delay):
            raise Stopped()
