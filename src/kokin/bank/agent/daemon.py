"""``kokin bank agent``: the agent as a process — logging, the spool lock, signals and exit codes."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from kokin.bank.agent import Agent
from kokin.bank.config import load_config
from kokin.bank.errors import ConfigError
from kokin.bank.spool import Spool, open_private, private_dir

log = logging.getLogger("kokin.bank.agent")


class _Formatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


def setup_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


@contextlib.contextmanager
def spool_lock(spool: Spool) -> Iterator[None]:
    """One agent per spool: a second one would send the same files twice at the same time."""
    private_dir(spool.state)
    with os.fdopen(open_private(spool.state / "lock", os.O_RDWR | os.O_CREAT | os.O_APPEND), "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(
                f"別のエージェントがこのスプールを使用中です: {spool.root}",
                f"another agent is using this spool: {spool.root}",
                key="spool.root",
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def main(config_path: Path, *, once: bool = False) -> int:
    """``kokin bank agent``: 0 when done (or stopped by a signal), 1 when a transfer failed (with
    ``--once``), 2 for a configuration error."""
    setup_logging()
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"設定の誤り / configuration error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signals = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            # a second Ctrl-C: do not wait for the chunk in flight (the hub keeps what arrived)
            raise KeyboardInterrupt
        log.info(
            "停止要求 (%s): 現在のチャンクの後で停止 / stop requested (%s): stopping after the current chunk",
            signal.Signals(signum).name,
            signal.Signals(signum).name,
        )
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        spool = Spool(config.spool_root)
        with spool_lock(spool):
            agent = Agent(config, stop=stop)
            try:
                return agent.run(once=once)
            finally:
                agent.close()
    except ConfigError as exc:
        print(f"設定の誤り / configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("強制停止 / stopped at once; the state is kept for the next start")
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
