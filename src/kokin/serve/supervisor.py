"""The whole service on one machine: the hub, the bank agent and the bank simulator under one process
supervisor (honcho, the Procfile runner).

Each service runs in its own process group; their output is multiplexed, line by line with the time
and the service's name, to the terminal and to one log file. Ctrl-C (or SIGTERM) stops them all: each
gets SIGTERM, and SIGKILL after a grace period. If one of them exits, the others are stopped too, so a
half-running demo never goes unnoticed.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from honcho.manager import Manager
from honcho.printer import Printer


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


class _Tee:
    """Lines to the terminal and appended to the log file."""

    def __init__(self, terminal: IO[str], log: IO[str]) -> None:
        self.terminal, self.log = terminal, log

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.log.write(text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()
        self.log.flush()

    def isatty(self) -> bool:
        return False  # no colour codes in the log file


def kokin_command() -> str:
    """The ``kokin`` console script of this environment (next to the running interpreter)."""
    script = Path(sys.executable).with_name("kokin")
    return str(script) if script.exists() else "kokin"


def run(services: list[Service], *, log_file: Path) -> int:
    """Start every service, wait until one ends or we are told to stop, stop the rest; the exit code."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "a", encoding="utf-8") as log:
        manager = Manager(printer=Printer(output=_Tee(sys.stdout, log)))
        for service in services:
            manager.add_process(
                service.name,
                shlex.join(service.argv),
                env={**os.environ, "PYTHONUNBUFFERED": "1", **service.env},
            )
        manager.loop()
    return int(manager.returncode or 0)
