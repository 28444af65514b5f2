"""Test support: switching off the operation log's append-only triggers where a test must.

Two cases need it: a test that tampers with the log to show that ``kokin audit verify`` finds it,
and Django's ``flush`` after a transactional test (``transactional_db``, ``live_server``), which
empties every table. Never used by the hub itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

TABLE = "audit_auditentry"


@contextmanager
def triggers_disabled(using: str = "default") -> Iterator[None]:
    """Inside the block, the log's rows can be updated and deleted (the triggers come back after)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            try:
                yield
            finally:
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
            return
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            yield
        finally:
            for _, sql in triggers:
                cursor.execute(sql)


@contextmanager
def flush_allowed() -> Iterator[None]:
    """While active, Django's ``flush`` command (run after each transactional test) may empty the log.

    Use it around the whole test session (``pytest_configure``/``pytest_unconfigure`` or a
    session-scoped fixture) when the suite has transactional tests.
    """
    from django.core.management.commands import flush

    original = flush.Command.handle

    def handle(self: flush.Command, *args: Any, **options: Any) -> Any:
        with triggers_disabled(options.get("database", "default")):
            return original(self, *args, **options)

    flush.Command.handle = handle  # type: ignore[method-assign]
    try:
        yield
    finally:
        flush.Command.handle = original  # type: ignore[method-assign]
