"""The compliance report's errors, in Japanese (for the screen) and English (for logs and the command)."""

from __future__ import annotations

from kokin.errors import KokinError


class PeriodError(KokinError, ValueError):
    """A month or a period that cannot be reported on: not a date, a month past 12, an end before its start."""
