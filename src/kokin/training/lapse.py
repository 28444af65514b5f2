"""When an acknowledgement of the handling rules lapses: the one rule, pure (no Django, no clock).

An operator acknowledges the rules in effect before first use, again every ``days`` days, and again
when a new version takes effect. An acknowledgement made on day D holds for ``days`` days counting D:
its due date (期限) is D + days − 1, the last day it holds, and from the next day it has lapsed. One
made before the rules' effective date, or none at all, holds nothing (no due date).

>>> import datetime as dt
>>> standing(acknowledged=dt.date(2025, 4, 1), effective_from=dt.date(2025, 4, 1), days=365,
...          today=dt.date(2026, 3, 31))
Standing(lapsed=False, due=datetime.date(2026, 3, 31))
>>> standing(acknowledged=dt.date(2025, 4, 1), effective_from=dt.date(2025, 4, 1), days=365,
...          today=dt.date(2026, 4, 1)).lapsed
True
>>> standing(acknowledged=dt.date(2025, 4, 1), effective_from=dt.date(2025, 10, 1), days=365,
...          today=dt.date(2025, 10, 1))
Standing(lapsed=True, due=None)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: "due soon": a due date this many days ahead or fewer (``kokin training status``)
SOON_DAYS = 30


@dataclass(frozen=True)
class Standing:
    lapsed: bool
    #: the last day the acknowledgement holds; ``None`` when there is none for the rules in effect
    due: dt.date | None

    def due_within(self, today: dt.date, days: int = SOON_DAYS) -> bool:
        """Not lapsed, and due in ``days`` days or fewer (a reminder)."""
        return not self.lapsed and self.due is not None and (self.due - today).days <= days


def standing(*, acknowledged: dt.date | None, effective_from: dt.date, days: int, today: dt.date) -> Standing:
    """Whether the latest acknowledgement (its day, or ``None``) of the rules in effect since
    ``effective_from`` has lapsed on ``today``, acknowledgements holding ``days`` days (at least 1)."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    if acknowledged is None or acknowledged < effective_from:
        return Standing(lapsed=True, due=None)
    due = acknowledged + dt.timedelta(days=days - 1)
    return Standing(lapsed=today > due, due=due)
