"""Two knobs of the C library's allocator (glibc) that keep a hub worker small while it takes in large
files; both do nothing where glibc is not the allocator.

* :func:`limit_arenas`: glibc gives each thread that allocates its own heap ("arena") and keeps freed
  memory in each; a threaded worker (gunicorn gthread, plus the checking thread of an upload) then
  holds several copies of a transfer's transient buffers. Called by the server before its workers fork.
* :func:`trim`: hand the freed pages of every arena back to the system (after an upload's check).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Any

#: mallopt's parameter number for the arena limit (glibc malloc.h: M_ARENA_MAX)
M_ARENA_MAX = -8


def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 - glibc only: musl has neither
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def trim() -> None:
    """Return the free heap pages of every arena to the system (a few microseconds when there are none)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def limit_arenas(count: int) -> None:
    """At most ``count`` arenas for the threads created from now on (and in processes forked later)."""
    if _LIBC is not None:
        _LIBC.mallopt(M_ARENA_MAX, count)
