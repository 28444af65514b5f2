"""For any log and any split point: the archive and the rest of the database both verify, and the archive's
entries followed by the database's are the original chain, entry for entry."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.audit import archive_file, archiving, preceding
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import check, record

START = dt.datetime(2015, 4, 1, 9, 0, tzinfo=dt.UTC)

#: any text a database keeps (PostgreSQL refuses NUL)
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
entries = st.lists(
    st.tuples(st.sampled_from(["view", "api_view", "login", "exchange_download"]), texts, texts),
    min_size=1,
    max_size=25,
)


def write_log(made: list[tuple[str, str, str]]) -> list[AuditEntry]:
    real_now = timezone.now
    log = []
    try:
        for i, (action, actor, obj) in enumerate(made):
            timezone.now = lambda i=i: START + dt.timedelta(minutes=i)  # type: ignore[assignment]
            log.append(record(action=action, actor=Actor(name=actor), object=obj, detail={"i": i, "text": obj}))
    finally:
        timezone.now = real_now  # type: ignore[assignment]
    return log


@contextmanager
def client_side_cursors() -> Iterator[None]:
    """Every example runs in a savepoint that is rolled back; on PostgreSQL a server-side cursor of the
    archive's read (``QuerySet.iterator``) closed after that rollback fails with "cursor does not exist"
    and aborts the test's transaction for the next example (the hub archives in its own transaction,
    never in one rolled back under it). Client-side cursors read the same rows."""
    saved = connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS", False)
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        yield
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = saved


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(made=entries, data=st.data())
def test_archive_and_database_together_are_the_original_chain(
    made: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        override_settings(ARCHIVE_DIR=Path(folder)),
        client_side_cursors(),
        transaction.atomic(),
    ):
        original = write_log(made)
        split = data.draw(st.integers(0, len(original)), label="entries archived")
        before = START + dt.timedelta(minutes=split)  # entry split+1 (1-based) is the first kept
        done = archiving.archive(actor=Actor.command(), before=before)

        archived: list[dict[str, object]] = []
        for one in done:
            path = Path(folder) / "audit" / one.archive.name
            report = archive_file.check(path)
            assert report.ok, [str(p) for p in report.problems]
            archived += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()[1:-1]]
        kept = [archive_file.entry_data(e) for e in AuditEntry.objects.filter(seq__lte=len(original)).order_by("seq")]
        assert len(archived) == split
        assert archived + kept == [archive_file.entry_data(e) for e in original]
        result = check()
        assert result.ok and result.start_seq == split + 1, [str(b) for b in result.breaks]
        assert preceding.check().ok
        transaction.set_rollback(True)
