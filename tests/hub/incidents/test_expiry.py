"""Done incidents past their retention (``KOKIN_RETAIN_INCIDENTS_DAYS``): exported into an archive file,
then removed with their timeline and report drafts, and logged; open incidents stay whatever their age.
Real incidents written by the services with the clock set back, real files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import check, record
from kokin.cli import main
from kokin.incidents import expiry, services
from kokin.incidents.errors import IncidentError
from kokin.incidents.models import Incident, IncidentNote, ReportVersion, State

pytestmark = pytest.mark.django_db
#: older than the default retention of done incidents (1827 days)
LONG_AGO = dt.timedelta(days=2000)


@pytest.fixture(autouse=True)
def archive_dir(settings: Any, tmp_path: Path) -> Path:
    settings.ARCHIVE_DIR = tmp_path / "archive"
    return tmp_path / "archive"


@contextmanager
def clock_at(when: dt.datetime) -> Iterator[None]:
    real_now = timezone.now
    timezone.now = lambda: when  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real_now  # type: ignore[assignment]


def incident(subject: str, *, closed: bool, drafts: int = 0) -> Incident:
    """An incident raised (and, if ``closed``, taken to 完了) by the services, with ``drafts`` report versions."""
    entry = record(action="exchange_download", actor=Actor(name="zeimu-get"), object="file:f1")
    found = services.raise_incident(
        rule="mass_download",
        severity="high",
        subject=subject,
        title=f"大量のダウンロード: {subject}",
        summary="試験用のインシデントです。",
        evidence=[entry.seq],
        personal_data=True,
        businesses=["zeimu-shuno"],
        actor=Actor.system(),
    )
    for i in range(drafts):
        services.save_report(
            incident=found, content={"overview": f"第{i + 1}版"}, malicious=False, actor=Actor.command()
        )
    services.add_note(incident=found, text="区に電話で報告", actor=Actor.command())
    if closed:
        for to in (State.INVESTIGATING, State.REPORTED, State.CLOSED):
            found = services.advance(incident=found, to=to, note=f"{to} へ", actor=Actor.command())
    return found


@pytest.fixture
def incidents() -> dict[str, Incident]:
    long_ago = timezone.now() - LONG_AGO
    with clock_at(long_ago):
        made = {
            "old_done": incident("business:zeimu-shuno", closed=True, drafts=2),
            "old_open": incident("business:kokuho-shuno", closed=False),
        }
    made["new_done"] = incident("business:kaigo-shuno", closed=True)
    return made


def test_done_incidents_past_the_retention_go_to_a_file_with_their_timeline_and_drafts(
    incidents: dict[str, Incident], archive_dir: Path
) -> None:
    old = incidents["old_done"]
    [expired] = expiry.expire(actor=Actor.command())
    path = archive_dir / "incidents" / f"incident-{old.number:06d}.json"
    assert expired.path == path and (expired.notes, expired.reports) == (5, 2)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["archive"] == "kokin incident" and data["incident"]["number"] == old.number
    assert data["incident"]["title"] == "大量のダウンロード: business:zeimu-shuno"
    assert data["incident"]["state_label"] == "完了" and data["incident"]["severity_label"] == "高"
    assert data["incident"]["closed_at"] == old.closed_at.isoformat(timespec="microseconds")  # type: ignore[union-attr]
    assert data["incident"]["closed_at_wareki"].startswith("令和")
    assert data["labels"]["incident"]["title"] == "件名" and data["labels"]["report"]["content"] == "内容"
    assert [n["text"] for n in data["notes"]] == [
        "試験用のインシデントです。",
        "区に電話で報告",
        "investigating へ",
        "reported へ",
        "closed へ",
    ]
    assert [(r["version"], r["content"]["overview"]) for r in data["reports"]] == [(1, "第1版"), (2, "第2版")]

    assert not Incident.objects.filter(pk=old.pk).exists()
    assert not IncidentNote.objects.filter(incident_id=old.pk).exists()
    assert not ReportVersion.objects.filter(incident_id=old.pk).exists()
    left = set(Incident.objects.values_list("number", flat=True))
    assert left == {incidents["old_open"].number, incidents["new_done"].number}  # open, or not yet due

    logged = AuditEntry.objects.get(action="incident_expire")
    assert logged.object == f"incident:{old.number}" and logged.outcome == "success"
    assert logged.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == expired.sha256
    assert logged.detail["file"] == str(path) and (logged.detail["notes"], logged.detail["reports"]) == (5, 2)
    assert check().ok


def test_running_again_expires_nothing_more(incidents: dict[str, Incident], archive_dir: Path) -> None:
    [first] = expiry.expire(actor=Actor.command())
    before = first.path.read_bytes()
    assert expiry.expire(actor=Actor.command()) == []
    assert first.path.read_bytes() == before
    assert AuditEntry.objects.filter(action="incident_expire").count() == 1


def test_a_longer_retention_keeps_them(incidents: dict[str, Incident], settings: Any) -> None:
    settings.RETAIN_INCIDENTS_DAYS = 2500
    assert expiry.expire(actor=Actor.command()) == []
    assert Incident.objects.count() == 3


def test_an_archive_folder_that_cannot_be_written_removes_nothing(
    incidents: dict[str, Incident], settings: Any, tmp_path: Path
) -> None:
    old = incidents["old_done"]
    (tmp_path / "a-file").write_text("not a folder")
    settings.ARCHIVE_DIR = tmp_path / "a-file" / "archive"
    with pytest.raises(IncidentError) as raised:
        expiry.expire(actor=Actor.command())
    assert f"インシデント {old.number} のアーカイブ" in raised.value.message_ja
    assert "削除していません" in raised.value.message_ja and "nothing was removed" in raised.value.message_en
    assert Incident.objects.filter(pk=old.pk).exists() and IncidentNote.objects.filter(incident_id=old.pk).count() == 5
    failed = AuditEntry.objects.get(action="incident_expire")
    assert failed.outcome == "error" and failed.object == f"incident:{old.number}"
    settings.ARCHIVE_DIR = tmp_path / "archive"
    assert [e.number for e in expiry.expire(actor=Actor.command())] == [old.number]


def test_retention_run_expires_done_incidents_and_a_dry_run_only_lists_them(
    incidents: dict[str, Incident], archive_dir: Path
) -> None:
    number = incidents["old_done"].number
    dry = CliRunner().invoke(main, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"アーカイブして削除予定 / would archive and remove: インシデント / incident {number}" in dry.output
    assert Incident.objects.count() == 3 and not (archive_dir / "incidents").exists()
    done = CliRunner().invoke(main, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert f"インシデント / incident {number}: アーカイブして削除 / archived and removed" in done.output
    assert Incident.objects.count() == 2 and (archive_dir / "incidents" / f"incident-{number:06d}.json").exists()
