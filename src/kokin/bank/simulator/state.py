"""What the simulator remembers between runs (``<spool>/.simulator/state.json``), and its periods.

A period is a run of business days (indices): one day with ``scale = "day"``, about a month with
``scale = "month"``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kokin.bank.simulator.calendar import day_at, day_index
from kokin.bank.simulator.config import ConfigError

STATE_VERSION = 1


@dataclass
class State:
    """What the simulator remembers between runs (``<spool>/.simulator/state.json``)."""

    seed: int
    first: int  # the current period: business-day indices first…last
    last: int
    produced: bool = False
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # transfer ID → {"date", "n"}
    pulled: dict[str, dict[str, str]] = field(default_factory=dict)  # transfer ID → payment key → its day
    accounts: dict[str, list[int]] = field(default_factory=dict)
    requests: dict[str, dict[str, str]] = field(default_factory=dict)  # request SHA-256 → what answered it
    bank_file_ids: list[str] = field(default_factory=list)  # result stems used so far

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "seed": self.seed,
            "period": {"first": day_at(self.first).isoformat(), "last": day_at(self.last).isoformat()},
            "produced": self.produced,
            "files": self.files,
            "pulled": self.pulled,
            "requests": self.requests,
            "bank_file_ids": self.bank_file_ids,
            "accounts": self.accounts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        if data.get("version") != STATE_VERSION:
            raise ConfigError("状態ファイルの版が違います", "the state file has another version")
        period = data["period"]
        return cls(
            seed=int(data["seed"]),
            first=day_index(dt.date.fromisoformat(period["first"])),
            last=day_index(dt.date.fromisoformat(period["last"])),
            produced=bool(data.get("produced")),
            files=dict(data.get("files", {})),
            pulled={k: dict(v) for k, v in data.get("pulled", {}).items()},
            accounts={k: list(v) for k, v in data.get("accounts", {}).items()},
            requests=dict(data.get("requests", {})),
            bank_file_ids=list(data.get("bank_file_ids", [])),
        )


def _add_month(day: dt.date) -> dt.date:
    year, month = (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)
    for d in (day.day, 30, 29, 28):
        with contextlib.suppress(ValueError):
            return dt.date(year, month, d)
    raise AssertionError(day)  # pragma: no cover


def _sub_month(day: dt.date) -> dt.date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for d in (day.day, 30, 29, 28):
        with contextlib.suppress(ValueError):
            return dt.date(year, month, d)
    raise AssertionError(day)  # pragma: no cover


def first_period(start: dt.date, scale: str) -> tuple[int, int]:
    """The period that ends on the last business day on or before ``start``."""
    last = day_index(start)
    if day_at(last) > start:
        last -= 1
    if scale == "day":
        return last, last
    return day_index(_sub_month(day_at(last)) + dt.timedelta(days=1)), last


def next_period(first: int, last: int, scale: str) -> tuple[int, int]:
    """The period after ``first``…``last``: the next business day, or the month up to the same day."""
    if scale == "day":
        return last + 1, last + 1
    end = day_index(_add_month(day_at(last)))
    if day_at(end) > _add_month(day_at(last)):
        end -= 1
    return last + 1, max(end, last + 1)
