"""Files from the bank: ``kokin exchange place``, the home page and the mail, downloads (original, CSV,
password ZIP), 検収, ``kokin retention run`` and the deletion certificate PDF.

Runs on SQLite and, with ``DATABASE_URL=postgres://…``, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pyzipper
from click.testing import CliRunner
from django.core import mail
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from kokin.accounts.actors import user_actor
from kokin.accounts.models import Business, DataKind, User
from kokin.audit.models import AuditEntry
from kokin.cli import main as cli
from kokin.exchange import downloads, services
from kokin.exchange.models import DeletionCertificate, ExchangeFile, ExchangePolicy
from kokin.exchange.services.notify import notify_arrival
from kokin.exchange.states import State
from kokin.formats import FORMATS
from kokin.formats.convert import write_csv
from kokin.vault.errors import BlobShredded
from kokin.vault.models import Blob
from kokin.vault.services import read_all
from support.exchange import BANK_AGENT, TEST_ACTOR, collection_file, debit_file, place

Login = Callable[..., Client]


def inbound(business: str = "zeimu-furikae") -> DataKind:
    return DataKind.objects.filter(business__code=business, direction="inbound").order_by("pk").first()  # type: ignore[return-value]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_place_command_puts_a_bank_file_in_the_right_inbox(ward: Any, tmp_path: Path) -> None:
    path = tmp_path / "kekka.dat"
    data = debit_file(4, result=True)
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["exchange", "place", str(path), "--business", "zeimu-furikae"])
    assert result.exit_code == 0, result.output
    file = ExchangeFile.objects.get()
    assert file.data_kind == inbound() and file.state == State.AVAILABLE and file.mode == "result"
    assert file.original_name == "kekka.dat" and file.received_by.startswith("os:") and file.uploaded_by is None
    assert str(file.id) in result.output and read_all(file.blob) == data
    # a resend is recognised
    again = CliRunner().invoke(cli, ["exchange", "place", str(path), "--business", "zeimu-furikae"])
    assert again.exit_code == 1 and "--allow-duplicate" in again.output
    # the format decides the inbox; several inboxes of one format need --label
    mpn = tmp_path / "mpn.dat"
    mpn.write_bytes(collection_file("mpn-receipt"))
    unsure = CliRunner().invoke(cli, ["exchange", "place", str(mpn), "--business", "zeimu-shuno"])
    assert unsure.exit_code == 2 and "--label" in unsure.output
    label = "MPN済通収納データ (住民税)"
    sure = CliRunner().invoke(cli, ["exchange", "place", str(mpn), "--business", "zeimu-shuno", "--label", label])
    assert sure.exit_code == 0, sure.output
    assert ExchangeFile.objects.get(data_kind__label=label).format == "mpn-receipt"


def test_place_refuses_a_broken_file_and_keeps_nothing(ward: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.dat"
    path.write_bytes(debit_file(3, result=True)[:-40])
    result = CliRunner().invoke(cli, ["exchange", "place", str(path), "--business", "zeimu-furikae"])
    assert result.exit_code == 1 and "何も保管していません" in result.output
    assert not ExchangeFile.objects.exists() and not Blob.objects.exists()
    entry = AuditEntry.objects.filter(action="exchange_place").last()
    assert entry is not None and entry.outcome == "failure" and entry.actor.startswith("os:")


def test_new_files_show_on_the_home_page_and_are_mailed_without_personal_data(
    login_as: Login, django_capture_on_commit_callbacks: Any
) -> None:
    getter = User.objects.get(username="zeimu-get")
    getter.email = "zeimu-get@example.lg.jp"
    getter.save()
    with django_capture_on_commit_callbacks(execute=True):
        file = place(inbound(), debit_file(3, result=True, holder_name="ﾔﾏﾀﾞ ﾀﾛｳ"))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zeimu-get@example.lg.jp"] and "口座振替結果データ" in message.subject
    assert f"/files/{file.id}/" in message.body and "件数: 3 件" in message.body
    for personal in ("ﾔﾏﾀﾞ", "7654321", "00000000000000000001", "1000"):
        assert personal not in message.body and personal not in message.subject
    home = login_as("zeimu-get").get("/")
    assert "新着の受信ファイル" in home.content.decode() and f"/files/{file.id}/" in home.content.decode()
    assert f"/files/{file.id}/" not in login_as("kokuho-send").get("/").content.decode()
    ExchangePolicy.objects.create(business=inbound().business, notify_by_mail=False)
    with django_capture_on_commit_callbacks(execute=True):
        place(inbound(), debit_file(2, result=True))
    assert len(mail.outbox) == 1


def test_the_arrival_mail_reads_as_written_with_names_left_as_they_are(ward: Any, settings: Any) -> None:
    # the body is a plain-text template: no HTML escaping of names, numbers formatted as before
    settings.WEBAUTHN_ORIGIN = "https://hub.example.lg.jp/"
    getter = User.objects.get(username="zeimu-get")
    getter.email = "zeimu-get@example.lg.jp"
    getter.save()
    kind = inbound()
    kind.business.name = "税務 <口座振替> & \"収納\" 'テスト'"
    kind.business.save()
    file = place(kind, debit_file(3, result=True))
    file.total_count = 12345
    file.received_at = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)
    file.save()
    assert notify_arrival(file=file) == 1
    department = kind.business.department.name
    assert mail.outbox[-1].body == (
        f"{department} 税務 <口座振替> & \"収納\" 'テスト' に、金融機関から新しいファイルが届きました。\n\n"
        f"データ種別: {kind.label}\n"
        "受信日時: 2026-04-01 09:05 (令和8年4月1日)\n"
        f"件数: 12,345 件 ({file.summary['batches']} バッチ)\n\n"
        f"ハブにログインして取得してください: https://hub.example.lg.jp/files/{file.id}/\n\n"
        "このメールには個人情報を含めていません。心当たりのない場合は業務管理者に連絡してください。\n"
    )


def test_download_original_csv_and_password_zip_then_inspect_and_erase(
    login_as: Login, ward: Any, tmp_path: Path
) -> None:
    data = debit_file(6, result=True)
    file = place(inbound(), data)
    client = login_as("zeimu-get")
    page = client.get(f"/files/{file.id}/download/")
    assert page.status_code == 200 and file.sha256 in page.content.decode()

    # a GET (the page, or an old link with ?as=) shows the choices and changes nothing
    assert client.get(f"/files/{file.id}/download/", {"as": "original"}).status_code == 200
    file.refresh_from_db()
    assert file.state == State.AVAILABLE and file.download_count == 0
    original = client.post(f"/files/{file.id}/download/", {"as": "original"})
    assert original.status_code == 200 and body(original) == data
    assert original["X-Kokin-SHA256"] == file.sha256 == hashlib.sha256(data).hexdigest()
    assert original["Content-Length"] == str(len(data)) and "attachment" in original["Content-Disposition"]
    file.refresh_from_db()
    assert file.state == State.DOWNLOADED and file.download_count == 1

    for encoding in ("cp932", "utf-8-sig"):
        converted = client.post(f"/files/{file.id}/download/", {"as": "csv", "encoding": encoding})
        assert converted.status_code == 200
        got = body(converted)
        assert converted["X-Kokin-SHA256"] == hashlib.sha256(got).hexdigest()
        reference = tmp_path / f"{encoding}.csv"  # the same bytes as kokin convert --to csv
        write_csv(FORMATS["zengin-debit"].parse(data), reference, encoding=encoding)
        assert got == reference.read_bytes()

    made = client.post(f"/files/{file.id}/download/", {"as": "zip", "password_mode": "generate"})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    password = made.context["password"]
    assert len(password) >= 16 and password in made.content.decode()
    token = made.context["token"]
    assert client.get(f"/files/{file.id}/download/", {"package": token}).status_code == 200  # the page only
    package = client.post(f"/files/{file.id}/download/", {"as": "package", "token": token})
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    zipped = body(package)
    assert package["X-Kokin-SHA256"] == hashlib.sha256(zipped).hexdigest()
    with pyzipper.AESZipFile(io.BytesIO(zipped)) as zf:
        zf.setpassword(password.encode())
        assert zf.read(file.original_name) == data
        assert zf.read(f"{file.original_name}.sha256").decode().startswith(file.sha256)
        with pytest.raises(RuntimeError):
            zf.setpassword(b"wrong-password-123")
            zf.read(file.original_name)
    assert client.post(f"/files/{file.id}/download/", {"as": "package", "token": token}).status_code == 404  # once
    typed = client.post(
        f"/files/{file.id}/download/",
        {"as": "zip", "password_mode": "typed", "password": "short", "password_again": "short"},
    )
    assert typed.status_code == 400 and "12 文字以上" in typed.content.decode()
    ok = client.post(
        f"/files/{file.id}/download/",
        {"as": "zip", "password_mode": "typed", "password": "Typed-Pass-2026", "password_again": "Typed-Pass-2026"},
    )
    assert ok.status_code == 200 and ok.context["password"] == "" and "Typed-Pass-2026" not in ok.content.decode()

    file.refresh_from_db()
    assert file.download_count == 4  # original, two CSVs, one ZIP fetched
    logged = AuditEntry.objects.filter(action="exchange_download", object=f"file:{file.id}").order_by("seq")
    assert [e.detail["as"] for e in logged] == ["original", "csv", "csv", "zip"]
    assert logged[0].sha256 == file.sha256 and all(e.sha256 for e in logged)
    logged_details = [str(e.detail) for e in AuditEntry.objects.all()]
    assert all("Typed-Pass-2026" not in d and password not in d for d in logged_details)
    detail = client.get(f"/files/{file.id}/").content.decode()
    assert "取得の記録" in detail and logged[3].sha256 in detail

    assert client.post(f"/files/{file.id}/inspect/").status_code == 302
    file.refresh_from_db()
    assert file.state == State.INSPECTED and file.inspected_by == User.objects.get(username="zeimu-get")
    assert file.retention_due == file.inspected_at  # 0 days after inspection by default (別紙3 第14条3)

    dry = CliRunner().invoke(cli, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0 and str(file.id) in dry.output and "消去予定" in dry.output
    file.refresh_from_db()
    assert file.state == State.INSPECTED
    run = CliRunner().invoke(cli, ["retention", "run"])
    assert run.exit_code == 0, run.output
    file.refresh_from_db()
    assert file.state == State.ERASED and file.erased_at is not None
    with pytest.raises(BlobShredded):
        read_all(file.blob)
    assert client.post(f"/files/{file.id}/download/", {"as": "original"}).status_code == 410

    cert = DeletionCertificate.objects.get(file=file)
    assert cert.number in run.output and cert.approved_by.startswith("税務 取得担当 (zeimu-get)")
    register = client.get("/files/certificates/").content.decode()
    assert cert.number in register and str(file.id) in register
    pdf = client.get(f"/files/certificates/{cert.number}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    check_certificate_pdf(pdf.content, cert, file)
    assert login_as("kokuho-send").get(f"/files/certificates/{cert.number}/").status_code == 403
    assert cert.number not in login_as("kokuho-send").get("/files/certificates/").content.decode()
    assert AuditEntry.objects.filter(action="exchange_erase", sha256=file.sha256).exists()
    assert AuditEntry.objects.filter(action="vault_shred", object=f"blob:{file.blob_id}").exists()


def check_certificate_pdf(pdf: bytes, cert: DeletionCertificate, file: ExchangeFile) -> None:
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == cert.pdf_sha256
    assert re.search(rb"/FontFile[23]", pdf), "the Japanese font is embedded"
    reader = PdfReader(io.BytesIO(pdf))
    fonts = [f for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    assert any("NotoSansJP" in str(f.get_object()["/BaseFont"]) for f in fonts)
    # pypdf puts a NUL before each character of this CID font (poppler's pdftotext does not)
    words = "".join(reader.pages[0].extract_text().replace("\x00", "").split())
    local = timezone.localtime(file.erased_at)
    for expected in (
        "消去証明書",
        str(file.id),
        file.sha256,
        "口座振替結果データ",
        "住民税口座振替",
        "暗号消去",
        "データ鍵",
        f"{local:%Y-%m-%d}",
        "令和",
        "zeimu-get",
        cert.number,
    ):
        assert expected in words, expected


def test_retention_erases_unread_files_at_the_latest_after_m_days(ward: Any) -> None:
    business = Business.objects.get(code="zeimu-furikae")
    services.set_policy(business=business, actor=TEST_ACTOR, retention_max_days=30)
    file = place(inbound())
    assert file.retention_due == file.received_at + dt.timedelta(days=30)
    assert services.run_retention(actor=TEST_ACTOR, now=timezone.now() + dt.timedelta(days=29)) == []
    done = services.run_retention(actor=TEST_ACTOR, now=timezone.now() + dt.timedelta(days=31))
    assert [d.file.id for d in done] == [file.id] and done[0].certificate is not None
    assert "最長保存期間 (30 日)" in done[0].reason
    cert = done[0].certificate
    assert cert.approved_by.startswith("業務の保存方針") and cert.inspected_at is None
    file.refresh_from_db()
    assert file.state == State.ERASED


def test_withdrawn_and_collected_requests_are_erased_after_their_job_is_done(ward: Any) -> None:
    from support.exchange import upload

    business = Business.objects.get(code="zeimu-furikae")
    services.set_policy(business=business, actor=TEST_ACTOR, retention_days_after_inspection=7)
    kind = DataKind.objects.get(business=business, direction="outbound")
    sender, approver = User.objects.get(username="zeimu-send"), User.objects.get(username="zeimu-approve")
    collected = upload(kind, sender, debit_file(2))
    services.approve(file=collected, actor=user_actor(approver))
    services.mark_collected(collected, actor=BANK_AGENT)
    withdrawn = upload(kind, sender, debit_file(3))
    services.withdraw(file=withdrawn, actor=user_actor(sender), reason="誤り")
    waiting = upload(kind, sender, debit_file(4))
    later = timezone.now() + dt.timedelta(days=8)
    done = {d.file.id: d for d in services.run_retention(actor=TEST_ACTOR, now=later)}
    assert set(done) == {collected.id, withdrawn.id}
    assert "送信の承認者" in done[collected.id].certificate.approved_by  # type: ignore[union-attr]
    assert "取下げ者" in done[withdrawn.id].certificate.approved_by  # type: ignore[union-attr]
    waiting.refresh_from_db()
    assert waiting.state == State.AWAITING_APPROVAL


def test_a_corrupted_body_is_refused_not_served(login_as: Login, ward: Any, settings: Any) -> None:
    from kokin.vault.stores import get_store

    file = place(inbound(), debit_file(3, result=True))
    store = get_store(file.blob.backend)
    if file.blob.backend != "local":
        pytest.skip("the damage is made in the local folder store")
    path = store.path(file.blob_id)  # type: ignore[attr-defined]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    response = login_as("zeimu-get").post(f"/files/{file.id}/download/", {"as": "csv", "encoding": "cp932"})
    assert response.status_code == 500 and "完全性を確認できません" in response.content.decode()
    assert AuditEntry.objects.filter(action="exchange_download", outcome="error").exists()


def test_csv_of_every_collection_format_matches_kokin_convert(ward: Any, tmp_path: Path) -> None:
    for fmt in ("mpn-receipt", "general-receipt", "general-receipt-waste", "special-receipt", "special-breakdown"):
        data = collection_file(fmt, 3)
        kind = DataKind.objects.filter(format=fmt, direction="inbound").first()
        assert kind is not None, fmt
        file = place(kind, data)
        out = io.BytesIO()
        downloads.write_csv(file, out, encoding="utf-8-sig")
        reference = tmp_path / f"{fmt}.csv"
        write_csv(FORMATS[fmt].parse(data), reference, encoding="utf-8-sig")
        assert out.getvalue() == reference.read_bytes(), fmt
