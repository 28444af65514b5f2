"""``kokin bank simulate``: the simulator as a process — the spool lock, signals, the loop, exit codes."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from kokin.bank.simulator.calendar import day_at
from kokin.bank.simulator.config import ConfigError, load_config
from kokin.bank.simulator.rounds import Simulator, log


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the event; the loop finishes the action under way and exits."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _lock(spool: Path) -> Iterator[None]:
    """One simulator per spool: two would answer the same request twice."""
    import fcntl

    folder = spool / ".simulator"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(
                f"別のシミュレータがスプール {spool} を使っています", f"another simulator is using the spool {spool}"
            ) from exc
        yield


def main(config_path: Path, *, seed: int = 1, once: bool = False, advance: bool = False) -> int:
    """Run the simulator; 0 on a clean stop (``--once`` done, SIGINT or SIGTERM), 1 on a config error."""
    try:
        config = load_config(Path(config_path))
        for sub in ("outbox", "inbox", "processed", "rejected"):
            (config.spool / sub).mkdir(parents=True, exist_ok=True)
        with _lock(config.spool), _stop_on_signals() as stop:
            sim = Simulator(config, seed)
            log(
                f"金融機関シミュレータ開始: スプール {config.spool}, 乱数種 {seed}, 模擬日 {day_at(sim.state.last)}, "
                f"収入済データ {len(sim.collections.kinds)} 種, 口座振替 {len(sim.debits)} 種",
                f"bank simulator started: spool {config.spool}, seed {seed}, simulated day {day_at(sim.state.last)}, "
                f"{len(sim.collections.kinds)} collection kinds, {len(sim.debits)} debit kinds",
            )
            if advance:
                sim.advance()
            sim.round()
            if once:
                log("1 回分を処理して終了します", "one round done, exiting")
                return 0
            every = config.collection_every_seconds
            next_day = time.monotonic() + every if every > 0 else None
            while not stop.is_set():
                wait = config.poll_seconds
                if next_day is not None:
                    wait = max(0.0, min(wait, next_day - time.monotonic()))
                if stop.wait(wait):
                    break
                if next_day is not None and time.monotonic() >= next_day:
                    sim.advance()
                    sim.produce()
                    # counted from now: a day that took longer than the interval does not start a catch-up run
                    next_day = time.monotonic() + every
                sim.serve_inbox(stop)
            log("停止の合図を受けました。終了します", "stop signal received, exiting")
            return 0
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return 1
