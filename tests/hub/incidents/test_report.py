"""The 漏えい等報告 draft: pre-filled from the incident, its files (別紙1 items, records) and its evidence;
its deadlines; saved as versions by the administrator; exported as PDF (read back with pypdf) and text."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from kokin.accounts.models import DataKind
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.incidents import report
from kokin.incidents.models import Incident
from kokin.incidents.personal_items import items_of
from kokin.incidents.services import raise_incident

HEADINGS = [label for _, label in report.FIELDS]


def _leak(**changes: Any) -> Incident:
    request = DataKind.objects.get(business__code="zeimu-furikae", direction="outbound")
    entry = record(action="exchange_download", actor=Actor(name="zeimu-get", client_ip="192.0.2.9"), object="file:a")
    values: dict[str, Any] = {
        "rule": "mass_download",
        "severity": "high",
        "subject": "business:zeimu-furikae",
        "title": "大量のダウンロード: 業務 zeimu-furikae",
        "summary": "15 分間に 25 件。",
        "evidence": [entry.seq],
        "personal_data": True,
        "businesses": ["zeimu-furikae"],
        "files": [{"id": "a", "data_kind": request.pk, "records": 120}, {"id": "b", "data_kind": request.pk}],
        "actor": Actor.system(),
    }
    return raise_incident(**(values | changes))


@pytest.fixture
def leak(ward: Any) -> Incident:
    return _leak()


def _pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF") and re.search(rb"/FontFile[23]", body), "the Japanese font is embedded"
    reader = PdfReader(io.BytesIO(body))
    # pypdf puts a NUL before each character of this CID font
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def test_the_draft_is_filled_from_the_files_evidence_and_timeline(leak: Incident) -> None:
    draft = report.draft(leak)
    assert "ファイル a (住民税 口座振替 口座振替請求データ): 科目(税目)コード、調定年度" in draft["items"]
    assert "口座番号、預金者名、請求金額、引落年月日" in draft["items"]
    assert draft["persons"].startswith("最大 120 人 (関係するファイル 1 件")
    assert "件数の分からないファイルが 1 件" in draft["persons"]
    seq = leak.evidence[0]
    assert (
        f"連番 {seq} " in draft["cause"]
        and "zeimu-get ファイルの取得 (ダウンロード) (成功) 192.0.2.9" in draft["cause"]
    )
    assert (
        "大量のダウンロード (業務の通常の水準との比較)" in draft["overview"]
        and "15 分間に 25 件。" in draft["overview"]
    )
    assert "system: [— → 検知] 15 分間に 25 件。" in draft["other"]


def test_without_files_the_draft_lists_the_items_of_the_business_data_kinds(ward: Any) -> None:
    incident = _leak(files=[], subject="business:kaigo-shuno", businesses=["kaigo-shuno"])
    draft = report.draft(incident)
    assert "ファイルは特定されていない" in draft["items"]
    assert "介護保険料 収納 の 汎用収納データ (OCR分): 科目(税目)コード、年度、期別、保険料額" in draft["items"]
    assert draft["persons"].startswith("調査中")
    assert items_of("general-receipt", "inbound", department="zeimu")[4] == "税額(納付額)"
    assert items_of("unknown-format", "inbound") == []


def test_deadlines_are_three_days_and_thirty_or_sixty(leak: Incident) -> None:
    Incident.objects.filter(pk=leak.pk).update(first_seen=dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC))
    leak.refresh_from_db()  # 2026-12-01 08:00 in Tokyo
    plain, malicious = report.deadlines(leak, malicious=False), report.deadlines(leak, malicious=True)
    assert (plain.known, plain.preliminary, plain.final) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 4),
        dt.date(2026, 12, 31),
    )
    assert malicious.final == dt.date(2027, 1, 30) and malicious.final_days == 60


def test_the_administrator_saves_versions_and_every_version_is_kept(
    leak: Incident, login_as: Callable[..., Client]
) -> None:
    client = login_as("sysadmin")
    url = f"/incidents/{leak.number}/report/"
    page = client.get(url).content.decode()
    assert "未保存の案 (自動作成)" in page and "最大 120 人" in page and "令和" in page
    fields = {code: f"{label}の記載" for code, label in report.FIELDS}
    assert client.post(url, {**fields, "overview": ""}).status_code == 200  # the 概要 is required
    assert client.post(url, {**fields, "overview": "第1版の概要"}).status_code == 302
    assert client.post(url, {**fields, "overview": "第2版の概要", "malicious": "on"}).status_code == 302
    page = client.get(url).content.decode()
    assert "第 2 版" in page and "第2版の概要" in page and "60 日以内" in page
    old = client.get(f"{url}?version=1").content.decode()
    assert "第1版の概要" in old and "30 日以内" in old
    assert client.get(f"{url}?version=9").status_code == 404
    saved = AuditEntry.objects.filter(action="incident_report_save", actor="sysadmin").order_by("seq")
    assert [e.detail["version"] for e in saved] == [1, 2]
    assert leak.reports.count() == 2


def test_the_pdf_and_the_text_carry_every_field_and_are_logged(leak: Incident, login_as: Callable[..., Client]) -> None:
    admin = login_as("sysadmin")
    fields = {code: f"{label}の記載" for code, label in report.FIELDS}
    admin.post(f"/incidents/{leak.number}/report/", {**fields, "overview": "区へ電話で第一報"})
    client = login_as("auditor")
    pdf = client.get(f"/incidents/{leak.number}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    known = timezone.localtime(leak.first_seen).date()
    for expected in [
        "漏えい等報告(案)",
        "第1版",
        "区へ電話で第一報",
        f"{known + dt.timedelta(days=3):%Y-%m-%d}",
        "令和",
    ]:
        assert expected in text, expected
    for heading in HEADINGS:
        assert "".join(heading.split()) in text, heading
    plain = client.get(f"/incidents/{leak.number}/report.txt")
    body = plain.content.decode("utf-8")
    assert plain["Content-Type"] == "text/plain; charset=utf-8"
    assert all(f"【{heading}】" in body for heading in HEADINGS)
    assert "【概要】\n区へ電話で第一報\n" in body
    exports = AuditEntry.objects.filter(action="incident_report_export", actor="auditor").order_by("seq")
    assert [e.detail["as"] for e in exports] == ["pdf", "txt"]
    assert exports[0].sha256 == hashlib.sha256(pdf.content).hexdigest()
    assert exports[1].sha256 == hashlib.sha256(plain.content).hexdigest()
    # an export is logged once, as itself, not again as a page view
    assert not AuditEntry.objects.filter(action="view", object__contains="report.").exists()


def test_the_auditor_reads_the_report_and_cannot_save(leak: Incident, login_as: Callable[..., Client]) -> None:
    client = login_as("auditor")
    page = client.get(f"/incidents/{leak.number}/report/").content.decode()
    assert "新しい版として保存" not in page and "本人の数" in page and "最大 120 人" in page
    assert client.post(f"/incidents/{leak.number}/report/", {"overview": "x"}).status_code == 403
    assert leak.reports.count() == 0


def test_an_incident_without_personal_data_has_no_report(ward: Any, login_as: Callable[..., Client]) -> None:
    incident = _leak(personal_data=False, subject="address:192.0.2.1", rule="login_defender")
    client = login_as("sysadmin")
    for tail in ("report/", "report.pdf", "report.txt"):
        assert client.get(f"/incidents/{incident.number}/{tail}").status_code == 404
    assert "漏えい等報告の案" not in client.get(f"/incidents/{incident.number}/").content.decode()
