"""No request leaves SQLite's write lock behind.

SQLite may keep a transaction open after a write failed with "database or disk is full" or "disk I/O
error" (its documentation: such errors may or may not roll the transaction back). A connection that
Django believes is in autocommit but that still holds a transaction keeps the database's write lock
for as long as the connection lives (``CONN_MAX_AGE``), and every other worker's write waits out the
busy timeout on "database is locked". At the start and end of every request, such a transaction is
rolled back and its connection closed.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)


def release_stuck_transactions(**_: Any) -> int:
    """Roll back and close every SQLite connection of this thread that is in a transaction outside an
    ``atomic`` block; how many there were."""
    released = 0
    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if conn.vendor != "sqlite" or raw is None or conn.in_atomic_block or not raw.in_transaction:
            continue
        logger.warning("a SQLite transaction was left open after a request; rolled back to release the lock")
        with contextlib.suppress(sqlite3.Error):  # closing the connection ends the transaction in any case
            raw.rollback()
        conn.close()
        released += 1
    return released
