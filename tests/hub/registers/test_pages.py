"""The registers' pages: who reads them, the administrator's sign-off (logged, refused to everyone else,
only on the content shown), and the PDF and CSV read back."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from kokin.audit.models import AuditEntry
from kokin.formats.dates import wareki_text
from kokin.registers import selectors
from kokin.registers.models import RegisterVersion

LoginAs = Callable[..., Client]


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF") and re.search(rb"/FontFile[23]", body), "the Japanese font is embedded"
    reader = PdfReader(io.BytesIO(body))
    # pypdf puts a NUL before each character of this CID font; spaces and line breaks are dropped
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"), newline="")))


@pytest.fixture
def roster(ward: Any) -> RegisterVersion:
    return selectors.version("roster")


def test_the_list_shows_both_registers_with_the_current_version_marked(
    roster: RegisterVersion, login_as: LoginAs
) -> None:
    page = login_as("sysadmin").get("/registers/").content.decode()
    assert "従事者名簿" in page and "情報処理機器届出台帳" in page
    assert '<tr class="current">' in page and "<strong>現行</strong>" in page
    assert page.count("未承認") == 2
    assert f'href="/registers/{roster.pk}/"' in page


def test_the_auditor_reads_everything_but_cannot_sign_off(roster: RegisterVersion, login_as: LoginAs) -> None:
    client = login_as("auditor")
    page = client.get(f"/registers/{roster.pk}/").content.decode()
    assert "税務 閲覧担当" in page and "zeimu-view" in page and "未承認" in page
    assert "この版を確認する" not in page
    assert client.get(f"/registers/{roster.pk}/pdf/").status_code == 200
    response = client.post(f"/registers/{roster.pk}/signoff/", {"sha256": roster.sha256})
    assert response.status_code == 403
    roster.refresh_from_db()
    assert not roster.signed_off
    assert not AuditEntry.objects.filter(action="register_signoff").exists()


@pytest.mark.parametrize("username", ["zeimu-manage", "kokuho-send"])
def test_operators_of_businesses_get_403_everywhere(roster: RegisterVersion, login_as: LoginAs, username: str) -> None:
    client = login_as(username)
    for path in (
        "/registers/",
        f"/registers/{roster.pk}/",
        f"/registers/{roster.pk}/pdf/",
        f"/registers/{roster.pk}/csv/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/registers/{roster.pk}/signoff/", {"sha256": roster.sha256}).status_code == 403
    roster.refresh_from_db()
    assert not roster.signed_off


def test_the_administrator_signs_off_once_and_it_is_logged(roster: RegisterVersion, login_as: LoginAs) -> None:
    client = login_as("sysadmin")
    assert "この版を確認する" in client.get(f"/registers/{roster.pk}/").content.decode()
    response = client.post(f"/registers/{roster.pk}/signoff/", {"sha256": roster.sha256})
    assert response.status_code == 302 and response["Location"] == f"/registers/{roster.pk}/"
    roster.refresh_from_db()
    assert roster.signed_off_by is not None and roster.signed_off_by.username == "sysadmin"
    assert roster.signed_off_at is not None
    [entry] = AuditEntry.objects.filter(action="register_signoff")
    assert (entry.actor, entry.object, entry.sha256) == ("sysadmin", "register:roster:1", roster.sha256)
    page = client.get(f"/registers/{roster.pk}/").content.decode()
    assert "システム管理者 (sysadmin)" in page and "この版を確認する" not in page
    again = client.post(f"/registers/{roster.pk}/signoff/", {"sha256": roster.sha256})
    assert again.status_code == 200 and "従事者名簿 第1版は確認済みです (sysadmin、" in again.content.decode()
    assert AuditEntry.objects.filter(action="register_signoff").count() == 1


def test_a_sign_off_of_other_content_or_without_it_is_refused(roster: RegisterVersion, login_as: LoginAs) -> None:
    client = login_as("sysadmin")
    other = client.post(f"/registers/{roster.pk}/signoff/", {"sha256": "0" * 64})
    assert other.status_code == 200
    assert "従事者名簿 第1版の内容 (SHA-256) が表示した内容と一致しません。" in other.content.decode()
    missing = client.post(f"/registers/{roster.pk}/signoff/", {})
    assert "確認する版の内容 (SHA-256) が送られていません。" in missing.content.decode()
    roster.refresh_from_db()
    assert not roster.signed_off


def test_the_pdf_carries_the_names_roles_and_the_era_date_and_is_logged(
    roster: RegisterVersion, login_as: LoginAs
) -> None:
    client = login_as("auditor")
    response = client.get(f"/registers/{roster.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="kokin-roster-v1.pdf"'
    text = pdf_text(response.content)
    made = timezone.localtime(roster.made_at)
    for expected in (
        "従事者名簿",
        "第1版",
        f"{made:%Y-%m-%d%H:%M}({wareki_text(made.date())})",
        "未承認",
        "デモ管理責任者(情報システム部長)",
        "税務閲覧担当zeimu-view閲覧",
        "税務送信担当zeimu-send取得・送信",
        "国保承認担当kokuho-approve承認",
        "システム管理者sysadminシステム管理者",
        "監査担当auditor監査者",
        "変更(初版:空の台帳との比較)",
    ):
        assert expected in text, expected
    entry = AuditEntry.objects.get(action="register_export")
    assert (entry.actor, entry.object, entry.detail["as"]) == ("auditor", "register:roster:1", "pdf")
    assert entry.sha256 == hashlib.sha256(response.content).hexdigest()
    assert not AuditEntry.objects.filter(action="view", object=f"/registers/{roster.pk}/pdf/").exists()


def test_a_signed_off_pdf_names_the_administrator(roster: RegisterVersion, login_as: LoginAs) -> None:
    client = login_as("sysadmin")
    client.post(f"/registers/{roster.pk}/signoff/", {"sha256": roster.sha256})
    roster.refresh_from_db()
    assert roster.signed_off_at is not None
    text = pdf_text(client.get(f"/registers/{roster.pk}/pdf/").content)
    signed = timezone.localtime(roster.signed_off_at)
    assert "確認者システム管理者(sysadmin)" in text and "未承認" not in text
    assert f"確認日時{signed:%Y-%m-%d%H:%M}({wareki_text(signed.date())})" in text


def test_the_equipment_csv_parses_with_its_heading_table_and_changes(ward: Any, login_as: LoginAs) -> None:
    version = selectors.version("equipment")
    response = login_as("sysadmin").get(f"/registers/{version.pk}/csv/")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response.content)
    blank = [n for n, row in enumerate(rows) if not row]
    heading, table, changes = rows[: blank[0]], rows[blank[0] + 1 : blank[1]], rows[blank[1] + 1 :]
    items = dict((label, value) for label, value in heading)
    made = timezone.localtime(version.made_at)
    assert items["表題"] == "情報処理機器届出台帳" and items["版"] == "第1版"
    assert items["作成日時"] == f"{made:%Y-%m-%d %H:%M} ({wareki_text(made.date())})"
    assert items["確認者"] == "未承認" and items["内容の SHA-256"] == version.sha256
    assert table[0] == [
        "管理番号",
        "機器名",
        "種別",
        "設置場所",
        "IP アドレス・範囲",
        "証明書の指紋 (SHA-256)",
        "管理者",
        "登録日",
    ]
    by_name = {row[1]: row for row in table[1:]}
    assert len(by_name) == 5
    assert by_name["公金収納ハブ サーバ"][2:5] == ["サーバ", "データセンター ラック A-3", "10.20.0.10"]
    assert by_name["税務課 事務端末群"][4] == "10.10.2.32/28"
    assert len(by_name["介護保険課 業務端末 (証明書)"][5]) == 64
    assert changes[0] == ["変更 (初版: 空の台帳との比較)"]
    assert [c[0] for c in changes[1:]] == version.changes and len(version.changes) == 5


def test_an_older_version_says_which_is_current(
    roster: RegisterVersion, login_as: LoginAs, django_capture_on_commit_callbacks: Any
) -> None:
    from kokin.accounts.models import User

    with django_capture_on_commit_callbacks(execute=True):
        user = User.objects.get(username="zeimu-view")
        user.display_name = "税務 閲覧担当者"
        user.save()
    current = selectors.version("roster")
    assert current.number == 2
    page = login_as("auditor").get(f"/registers/{roster.pk}/").content.decode()
    assert f'現行は <a href="/registers/{current.pk}/">第 2 版</a> です' in page
    newer = login_as("sysadmin").get(f"/registers/{current.pk}/").content.decode()
    assert "前の版 (第1版) からの変更" in newer and "氏名を変更: zeimu-view 税務 閲覧担当 → 税務 閲覧担当者" in newer


def test_the_administrator_appoints_a_new_responsible_person_on_the_admin_site(
    ward: Any, login_as: LoginAs, django_capture_on_commit_callbacks: Any
) -> None:
    from kokin.registers.models import ResponsiblePerson

    client = login_as("sysadmin")
    form = client.get("/manage/registers/responsibleperson/add/").content.decode()
    assert 'value="デモ 管理責任者"' in form  # a change starts from the current record
    new = {"name": "後任 管理責任者", "title": "総務部長", "contact": "03-1111-2222", "since": "2026-04-01"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/registers/responsibleperson/add/", new)
    assert response.status_code == 302, response.content.decode()
    current = ResponsiblePerson.current()
    assert current is not None and current.name == "後任 管理責任者" and current.recorded_by is not None
    assert ResponsiblePerson.objects.count() == 2  # the one before is kept
    old = ResponsiblePerson.objects.exclude(pk=current.pk).get()
    assert client.post(f"/manage/registers/responsibleperson/{old.pk}/delete/").status_code == 403
    assert selectors.version("roster").changes == [
        "個人情報保護管理責任者を変更: デモ 管理責任者 (情報システム部長) → 後任 管理責任者 (総務部長)"
    ]
    entry = AuditEntry.objects.filter(action="responsible_person").latest("seq")
    assert entry.actor == "sysadmin"
    # (the version's actor is the request's when the hub commits inside it: test_versions.py checks that)
    assert AuditEntry.objects.filter(action="register_version", object="register:roster:2").exists()
