"""Progress of long loops, for a caller that shows it (``kokin sample``, ``kokin convert``).

A library function that may run long over many rows takes ``progress``: a :data:`Tick`, called with
the number of rows done since the last call, every :data:`EVERY` rows and at the end. What to show
(a bar on a terminal, nothing elsewhere) is the caller's business; without ``progress`` the loop costs
what it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
#: rows done since the last call
Tick = Callable[[int], None]
#: rows between two ticks
EVERY = 4096


def counted(items: Iterable[T], progress: Tick | None) -> Iterator[T]:
    """``items`` one by one, telling ``progress`` every :data:`EVERY` items and at the end."""
    if progress is None:
        yield from items
        return
    done = 0
    for done, item in enumerate(items, 1):
        yield item
        if done % EVERY == 0:
            progress(EVERY)
    if done % EVERY:
        progress(done % EVERY)
