"""The compliance reports' page: the auditor and the system administrator list the reports, make one for a
month or a period (POST) and download each PDF (logged); a bad month is refused in Japanese; operators of
businesses get 403 everywhere (the role × endpoint test calls every role too)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kokin.audit.models import AuditEntry
from kokin.compliance.models import ComplianceReport
from kokin.vault.stores import get_store
from support.compliance import pdf_text, sample_report

Login = Callable[..., Client]


def reiwa_month(day: dt.date) -> str:
    return f"令和{day.year - 2018}年{day.month}月"


@pytest.mark.parametrize("username", ["auditor", "sysadmin"])
def test_a_report_is_made_from_the_page_listed_and_downloaded(login_as: Login, username: str) -> None:
    client = login_as(username)
    today = timezone.localdate()
    response = client.post("/compliance/", {"month": f"{today:%Y-%m}"})
    assert response.status_code == 302 and response["Location"] == "/compliance/"
    kept = ComplianceReport.objects.get()
    assert (kept.made_by, kept.made_by_role) == (username, "監査者" if username == "auditor" else "システム管理者")
    page = client.get("/compliance/").content.decode()
    assert f"遵守状況の報告を作成しました: {today.year}年{today.month}月 ({reiwa_month(today)})" in page
    assert f'href="/compliance/{kept.pk}/report.pdf"' in page and kept.file_name in page and "正常" in page
    download = client.get(f"/compliance/{kept.pk}/report.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "no-store" and "attachment;" in download["Content-Disposition"]
    assert hashlib.sha256(download.content).hexdigest() == kept.sha256
    text = pdf_text(download.content)
    assert f"作成者{username}(" in text and f"({reiwa_month(today)})" in text
    made = AuditEntry.objects.get(action="compliance_report")
    fetched = AuditEntry.objects.get(action="compliance_report_download")
    assert made.actor == fetched.actor == username and fetched.sha256 == made.sha256 == kept.sha256
    assert fetched.object == f"compliance_report:{kept.pk}" and fetched.outcome == "success"
    # the download wrote its own entry: the page-view log does not write a second one
    assert not AuditEntry.objects.filter(action="view", object=f"/compliance/{kept.pk}/report.pdf").exists()


def test_a_period_is_made_from_its_first_and_last_day(login_as: Login) -> None:
    today = timezone.localdate()
    response = login_as("auditor").post("/compliance/", {"start": f"{today:%Y-%m-%d}", "end": f"{today:%Y-%m-%d}"})
    assert response.status_code == 302
    assert ComplianceReport.objects.get().period.file_stem == f"{today:%Y-%m-%d}_{today:%Y-%m-%d}"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"month": "2026-13"}, "月 の「2026-13」: 月は 1〜12 です"),
        ({"month": "abc"}, "月 の「abc」: 年-月 (YYYY-MM、例 2026-11) で指定してください"),
        ({"start": "2026-11-20", "end": "2026-11-01"}, "期間の終わり (2026-11-01) が始め (2026-11-20) より前です"),
        ({"start": "2026-11-01"}, "期間は始めと終わりの両方を指定してください。"),
        (
            {"month": "2026-11", "start": "2026-11-01", "end": "2026-11-02"},
            "月か期間のどちらか一方を指定してください。",
        ),
        ({}, "月 (年-月) か期間 (始めと終わり) を指定してください。"),
        ({"month": "2999-01"}, "報告できるのは始まった期間だけです"),
    ],
)
def test_a_bad_month_or_period_is_refused_in_japanese(login_as: Login, data: dict[str, str], reason: str) -> None:
    response = login_as("auditor").post("/compliance/", data)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not ComplianceReport.objects.exists()


@pytest.mark.parametrize("username", ["zeimu-get", "zeimu-manage", "kokuho-send"])
def test_operators_of_businesses_may_neither_list_make_nor_download(login_as: Login, username: str, ward: Any) -> None:
    kept = sample_report("zeimu-shuno")
    client = login_as(username)
    assert client.get("/compliance/").status_code == 403
    assert client.post("/compliance/", {"month": f"{timezone.localdate():%Y-%m}"}).status_code == 403
    assert client.get(f"/compliance/{kept}/report.pdf").status_code == 403
    assert ComplianceReport.objects.count() == 1
    assert not AuditEntry.objects.filter(action="compliance_report_download").exists()
    assert AuditEntry.objects.filter(actor=username, outcome="denied").count() == 3
    assert "遵守状況の報告" not in client.get("/").content.decode()


def test_the_navigation_links_the_page_for_the_auditor(login_as: Login) -> None:
    assert 'href="/compliance/"' in login_as("auditor").get("/").content.decode()


def test_an_unknown_report_is_404(login_as: Login) -> None:
    assert login_as("auditor").get("/compliance/999/report.pdf").status_code == 404


def test_a_report_whose_body_is_gone_is_not_handed_out_and_the_failure_is_logged(login_as: Login) -> None:
    client = login_as("auditor")
    kept = ComplianceReport.objects.get(pk=sample_report("zeimu-shuno"))
    assert get_store(kept.blob.backend).delete(kept.blob.id)
    response = client.get(f"/compliance/{kept.pk}/report.pdf", follow=True)
    assert response.redirect_chain == [("/compliance/", 302)]
    page = response.content.decode()
    assert f"報告 {kept.pk} の PDF を読み出せません: 保管ファイル {kept.blob.id} の完全性を確認できません" in page
    assert "暗号化された本体が見つかりません" in page
    failed = AuditEntry.objects.get(action="compliance_report_download")
    assert failed.outcome == "error" and failed.actor == "auditor" and "missing" in failed.detail["reason"]
