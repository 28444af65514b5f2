"""The detection rules in force: the file named by ``KOKIN_INCIDENT_RULES`` (setting ``INCIDENT_RULES``),
read again when it changes (so every worker follows an edit without a restart)."""

from __future__ import annotations

import functools
import os

from django.conf import settings

from kokin.incidents.config import Problem, load
from kokin.incidents.rules import Rules


def _stamp(path: str) -> float:
    try:
        return os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return -1


@functools.lru_cache(maxsize=4)
def _read(path: str, stamp: float) -> tuple[Rules, list[Problem]]:
    return load(path or None)


def read() -> tuple[Rules, list[Problem]]:
    path = str(settings.INCIDENT_RULES or "")
    return _read(path, _stamp(path))


def rules() -> Rules:
    """The rules in force (a wrong value keeps its default; the system check reports it)."""
    return read()[0]
