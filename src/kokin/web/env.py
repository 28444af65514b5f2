"""The ``KOKIN_*`` environment variables as :mod:`kokin.web.settings` reads them, without ever failing.

A bad value must not stop the settings at the first ``int()`` with a bare ``ValueError``, nor be taken
for something nobody meant (``KOKIN_SECURE=flase`` read as "off"). So a value that cannot be read
gives the default, and is kept in :attr:`Environment.unreadable`; the settings pass that list on as
``ENV_UNREADABLE``, and the system check ``kokin.E001`` (:mod:`kokin.web.checks`) reports each entry,
which stops ``kokin hub serve`` before it serves. An empty variable counts as unset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Unreadable:
    """A variable whose value could not be read, and why, in Japanese and English."""

    variable: str
    value: str
    reason_ja: str
    reason_en: str


class Environment:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.unreadable: list[Unreadable] = []

    def text(self, name: str, default: str) -> str:
        return self.environ.get(name, "").strip() or default

    def names(self, name: str, default: str) -> list[str]:
        """A comma-separated list; empty items are dropped."""
        return [item.strip() for item in self.text(name, default).split(",") if item.strip()]

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, "").lower()
        if not value:
            return default
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        return self._unreadable(
            name,
            default,
            "1 か 0 (true/false, yes/no, on/off) ではありません",
            "not 1 or 0 (true/false, yes/no, on/off)",
        )

    def integer(self, name: str, default: int) -> int:
        value = self.text(name, "")
        try:
            return int(value) if value else default
        except ValueError:
            return self._unreadable(name, default, "整数ではありません", "not an integer")

    def number(self, name: str, default: float) -> float:
        value = self.text(name, "")
        try:
            number = float(value) if value else default
        except ValueError:
            number = math.nan
        return (
            number if math.isfinite(number) else self._unreadable(name, default, "数値ではありません", "not a number")
        )

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        """One of ``choices``, in any case (``info`` is ``INFO``)."""
        value = self.text(name, default)
        for choice in choices:
            if value.casefold() == choice.casefold():
                return choice
        listed = ", ".join(choices)
        return self._unreadable(name, default, f"{listed} のいずれでもありません", f"not one of {listed}")

    def _unreadable(self, name: str, default: T, reason_ja: str, reason_en: str) -> T:
        self.unreadable.append(Unreadable(name, self.environ.get(name, ""), reason_ja, reason_en))
        return default
