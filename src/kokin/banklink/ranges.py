"""The ``Range`` header of a download from the bank link (RFC 9110 §14.1.2, §14.2): one byte range.

Forms served: ``bytes=N-`` (from N to the end), ``bytes=N-M`` (N to M, M past the end meaning the end)
and ``bytes=-K`` (the last K bytes); the unit is case-insensitive, spaces around the parts are
tolerated. Everything else — several ranges, another unit, a start past the end, a reversed or
empty range, signs, garbage, non-ASCII digits — raises :class:`Unsatisfiable`, which the view answers
with 416 and ``Content-Range: bytes */size`` (RFC 9110 §15.5.17).

Numbers are compared as digit strings before any is converted, so a header of thousands of digits
costs no more than a short one and never meets Python's limit on converting long digit strings::

    >>> parse("bytes=2-", 10)
    (2, 9)
    >>> parse("bytes=-3", 10)
    (7, 9)
    >>> parse("bytes=0-" + "9" * 5000, 10)
    (0, 9)
    >>> parse("bytes=" + "9" * 5000 + "-", 10)
    Traceback (most recent call last):
    ...
    kokin.banklink.ranges.Unsatisfiable: the range cannot be served
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"[ \t]*bytes[ \t]*=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*", re.ASCII | re.IGNORECASE)


class Unsatisfiable(ValueError):
    """A ``Range`` the hub does not serve (malformed, several ranges, or outside the file)."""

    def __init__(self, header: str) -> None:
        super().__init__("the range cannot be served")
        #: the header as sent, cut to a length fit for a log entry
        self.header = header[:100]


def _at_most(digits: str, limit: int) -> int:
    """``int(digits)``, or ``limit + 1`` when it is larger than ``limit`` (decided without converting)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(limit)):
        return limit + 1
    return min(int(digits), limit + 1)


def parse(header: str, size: int) -> tuple[int, int] | None:
    """(first, last), both inclusive, for ``header`` on a representation of ``size`` bytes; ``None``
    when there is no header (the whole file); :class:`Unsatisfiable` otherwise."""
    if not header:
        return None
    found = _RANGE.fullmatch(header)
    if found is None or size <= 0:
        raise Unsatisfiable(header)
    first_text, last_text = found.groups()
    if not first_text:
        if not last_text:
            raise Unsatisfiable(header)
        suffix = _at_most(last_text, size)
        if suffix == 0:
            raise Unsatisfiable(header)
        return max(0, size - suffix), size - 1
    first = _at_most(first_text, size)
    if first >= size:
        raise Unsatisfiable(header)
    if not last_text:
        return first, size - 1
    last = _at_most(last_text, size)
    if last < first:
        raise Unsatisfiable(header)
    return first, min(last, size - 1)
