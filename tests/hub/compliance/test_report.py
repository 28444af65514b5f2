"""``kokin compliance report``: real files placed, sent, downloaded, collected, refused and erased through
the exchange's services and pages, an incident raised and moved on, a checkpoint taken with ``kokin audit
checkpoint``; the command writes the PDF, which is read back with pypdf and checked figure by figure.
The report is kept encrypted in the vault and logged. Runs on SQLite and, with ``DATABASE_URL``, on
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, User
from kokin.audit.actor import Actor
from kokin.audit.labels import action_label
from kokin.audit.models import AuditEntry
from kokin.cli import main
from kokin.compliance.models import ComplianceReport
from kokin.exchange import services
from kokin.exchange.models import DeletionCertificate, ExchangeFile
from kokin.incidents import services as incidents
from kokin.incidents.models import Incident
from kokin.scanning.daemon import TEST_SIGNATURE, TEST_STRING
from kokin.vault.services import read_all
from kokin.vault.stores import get_store
from support.audit import triggers_disabled
from support.clamd import Clamd, running_clamd
from support.compliance import pdf_text
from support.exchange import BANK_AGENT, TEST_ACTOR, collection_file, operator, place, received, upload

Login = Callable[..., Client]


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def reiwa_month(day: dt.date) -> str:
    """令和N年M月, counted here from the Western year (令和 began in 2019)."""
    return f"令和{day.year - 2018}年{day.month}月"


def flat(text: str) -> str:
    """``text`` as :func:`pdf_text` reads it: without spaces."""
    return "".join(text.split())


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def report(tmp_path: Path, *args: str) -> tuple[Any, bytes]:
    out = tmp_path / "report.pdf"
    result = run("compliance", "report", *args, "--pdf", str(out))
    assert result.exit_code == 0, result.output
    return result, out.read_bytes()


@dataclass
class Activity:
    placed: list[ExchangeFile]
    sent: ExchangeFile
    certificate: DeletionCertificate
    incident: Incident
    checkpoint: dict[str, Any]


@pytest.fixture
def activity(login_as: Login) -> Activity:
    """This month: two files from the bank for 住民税 (MPN), one downloaded twice through the download page
    and the other erased with its certificate; a debit request sent, approved and collected by the bank;
    one upload refused; an incident raised and moved on; a checkpoint taken."""
    shuno = DataKind.objects.get(business__code="zeimu-shuno", label="MPN済通収納データ (住民税)")
    request = DataKind.objects.get(business__code="zeimu-furikae", direction="outbound")
    placed = [place(shuno, name="mpn-1.dat"), place(shuno, name="mpn-2.dat")]
    getter = login_as("zeimu-get")
    for _ in range(2):
        response = getter.post(f"/files/{placed[0].id}/download/", {"as": "original"})
        assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    sent = upload(request, User.objects.get(username="zeimu-send"))
    services.approve(file=sent, actor=operator("zeimu-approve"))
    services.mark_collected(sent, actor=BANK_AGENT)
    refused = services.upload(
        data_kind=request, actor=operator("zeimu-send"), received=received(b"not a debit file\r\n", "bad.dat")
    )
    assert refused.rejected and refused.file is None
    certificate = services.erase(file=placed[1], reason="検収後の保存期間の経過", actor=TEST_ACTOR)
    evidence = AuditEntry.objects.filter(action="exchange_download").order_by("seq").last()
    assert evidence is not None
    incident = incidents.raise_incident(
        rule="mass_download",
        severity="high",
        subject="business:zeimu-shuno",
        title="大量のダウンロード: 業務 zeimu-shuno",
        summary="試験: 短時間の取得の集中。",
        evidence=[evidence.seq],
        personal_data=True,
        businesses=["zeimu-shuno"],
        actor=Actor.system(),
    )
    incidents.advance(incident=incident, to="investigating", note="取得の経緯を確認中。", actor=operator("sysadmin"))
    taken = run("audit", "checkpoint")
    assert taken.exit_code == 0, taken.output
    checkpoint = json.loads(taken.output.strip().splitlines()[-1])
    return Activity(placed, sent, certificate, incident, checkpoint)


def test_the_monthly_report_shows_every_figure_of_the_month(activity: Activity, tmp_path: Path) -> None:
    result, body = report(tmp_path, "--month", this_month())
    text = pdf_text(body)
    today = timezone.localdate()
    # 1. the period with the Japanese era, when and by whom
    assert f"対象期間:{today.year}年{today.month}月({reiwa_month(today)})" in text
    assert "作成者os:" in text and "(コマンド)" in text
    # 2. per business and data kind: 送信, 配置, 受付拒否, 課の取得 files (downloads), 金融機関の取得
    assert "住民税・軽自動車税収納MPN済通収納データ(住民税)—201(2)—" in text
    assert "住民税・軽自動車税収納MPN済通収納データ(軽自動車税)—000(0)—" in text
    assert "住民税口座振替口座振替請求データ1—10(0)1" in text
    assert "住民税口座振替口座振替結果データ—000(0)—" in text
    assert "合計1211(2)1" in text  # 送信 1, 配置 2, 受付拒否 1, 課の取得 1 件 (2 回), 金融機関の取得 1
    # 3. the erasure with its certificate's number
    assert f"{activity.certificate.number}" in text and "mpn-2.dat検収後の保存期間の経過" in text
    assert "期間中の消去1件(消去証明書1通)" in text
    # 4. the incident, what happened to it this month, its state; no file was quarantined
    assert f"{activity.incident.number}大量のダウンロード:業務zeimu-shuno" in text
    assert "検知→調査中" in text and "期間中の登録1件、状態の変更1件" in text
    assert "期間中に隔離したファイル0件" in text
    # 5. the checkpoint of the month and the verification made with the report
    assert f"{activity.checkpoint['seq']}{activity.checkpoint['mac']}" in text
    assert "チェックポイント1件" in text
    assert "結果正常(kokinauditverify:OK)" in text
    # 6. the roster and the equipment register in force (kokin.registers), training (kokin.training)
    assert "(zeimu-send)" in text and "個人情報保護管理責任者" in text and "名簿の版第1版" in text
    assert "台帳の版第1版" in text or "第1版(未確認)" in text
    assert "個人情報の取扱いに関する研修" in text and "取扱規程確認済" in text
    assert "未導入" not in text
    # counts and file metadata only: no payer's name, account or payment number
    for personal in ("ﾔﾏﾀﾞ", "ヤマダ", "7654321", "1234567890"):
        assert personal not in text
    assert (
        "遵守状況報告" in result.output
        and "SHA-256" in result.output
        and "log verification: 正常 / OK" in result.output
    )


def test_the_report_is_kept_encrypted_in_the_vault_and_logged(activity: Activity, tmp_path: Path) -> None:
    _, body = report(tmp_path, "--month", this_month())
    kept = ComplianceReport.objects.get()
    digest = hashlib.sha256(body).hexdigest()
    assert (kept.sha256, kept.size, kept.log_verified) == (digest, len(body), True)
    assert (kept.period_start, kept.period_end) == (timezone.localdate().replace(day=1), kept.period.end)
    assert read_all(kept.blob) == body
    with get_store(kept.blob.backend).open(kept.blob.id) as stored:
        ciphertext = stored.read()
    assert b"%PDF" not in ciphertext and ciphertext != body
    entry = AuditEntry.objects.filter(action="compliance_report").get()
    assert entry.sha256 == digest and entry.object == f"compliance_report:{kept.pk}"
    assert entry.actor.startswith("os:") and entry.role == "コマンド" and entry.outcome == "success"
    assert entry.detail["period_start"] == kept.period_start.isoformat()
    assert entry.detail["verify_ok"] is True and entry.detail["deletions"] == 1
    assert (entry.detail["placed"], entry.detail["sent"], entry.detail["downloads"]) == (2, 1, 2)
    assert action_label("compliance_report") == "遵守状況報告の作成 (別紙3 第16条)"


def test_without_pdf_the_file_is_named_after_the_month_in_the_current_folder(
    ward: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("compliance", "report", "--month", this_month())
    assert result.exit_code == 0, result.output
    written = tmp_path / f"遵守状況報告-{this_month()}.pdf"
    assert written.is_file() and str(written) in result.output
    assert hashlib.sha256(written.read_bytes()).hexdigest() == ComplianceReport.objects.get().sha256


def test_any_period_can_be_reported_and_counts_only_its_days(activity: Activity, tmp_path: Path) -> None:
    today = timezone.localdate()
    _, body = report(tmp_path, "--from", f"{today:%Y-%m-%d}", "--to", f"{today:%Y-%m-%d}")
    text = pdf_text(body)
    assert f"対象期間:{today:%Y-%m-%d}(" in text and "(1日間)" in text
    assert "住民税・軽自動車税収納MPN済通収納データ(住民税)—201(2)—" in text
    yesterday = today - dt.timedelta(days=1)
    _, before = report(
        tmp_path, "--from", f"{yesterday - dt.timedelta(days=6):%Y-%m-%d}", "--to", f"{yesterday:%Y-%m-%d}"
    )
    earlier = pdf_text(before)
    assert "住民税・軽自動車税収納MPN済通収納データ(住民税)—000(0)—" in earlier
    assert activity.certificate.number not in earlier and "期間中の消去0件" in earlier
    assert (
        ComplianceReport.objects.get(period_start=today).file_name
        == f"遵守状況報告-{today:%Y-%m-%d}_{today:%Y-%m-%d}.pdf"
    )


def test_a_month_with_nothing_in_it_is_reported_with_zeros(ward: Any, tmp_path: Path) -> None:
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    _, body = report(tmp_path, "--month", f"{last_month:%Y-%m}")
    text = pdf_text(body)
    assert f"({reiwa_month(last_month)})" in text
    rows = sum(1 for kind in DataKind.objects.all() if flat(f"{kind.business.name}{kind.label}") in text)
    assert rows == DataKind.objects.count()
    assert "合計0000(0)0" in text
    assert "期間中に消去したファイルはありません。" in text and "期間中の消去0件" in text
    assert "期間中に登録・変更されたインシデントはありません。" in text and "期間中の登録0件、状態の変更0件" in text
    assert "期間中にマルウェアを検出したファイルはありません。" in text
    assert "期間中に作成したチェックポイントはありません。" in text and "期間中の操作ログの記録0件。" in text
    assert "結果正常(kokinauditverify:OK)" in text


@pytest.mark.parametrize(
    ("args", "ja", "en"),
    [
        (["--month", "2026-13"], "月は 1〜12 です", "the month must be 1 to 12"),
        (["--month", "abc"], "年-月 (YYYY-MM、例 2026-11) で指定してください", "give it as YYYY-MM (e.g. 2026-11)"),
        (["--from", "2026-11-31", "--to", "2026-12-01"], "実在する年月日", "give a real date"),
        (["--from", "2026-11-20", "--to", "2026-11-01"], "より前です", "before it starts"),
        (["--month", "2026-11", "--from", "2026-11-01"], "一緒に使えません", "not both"),
        ([], "--month YYYY-MM か", "give --month YYYY-MM, or both"),
        (["--from", "2026-11-01"], "--month YYYY-MM か", "give --month YYYY-MM, or both"),
        (["--month", "2999-01"], "報告できるのは始まった期間だけです", "only a period that has begun"),
    ],
)
def test_bad_options_are_refused_in_both_languages_and_nothing_is_kept(
    ward: Any, args: list[str], ja: str, en: str
) -> None:
    result = run("compliance", "report", *args)
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert ja in flat and en in flat
    assert not ComplianceReport.objects.exists() and not AuditEntry.objects.filter(action="compliance_report").exists()


def test_a_tampered_log_is_reported_as_such(activity: Activity, tmp_path: Path) -> None:
    victim = AuditEntry.objects.filter(action="exchange_erase").get()
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor = %s WHERE seq = %s", ["someone-else", victim.seq])
    _, body = report(tmp_path, "--month", this_month())
    text = pdf_text(body)
    assert "結果異常(kokinauditverify:NG)" in text
    assert f"連番{victim.seq}:内容が記録時から変更されています(改ざんの疑い)" in text
    assert ComplianceReport.objects.get().log_verified is False


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    with running_clamd(tmp_path_factory.mktemp("clamd")) as daemon:
        yield daemon


def test_a_malware_finding_is_reported_with_its_file_and_incident(
    ward: Any, settings: Any, clamd: Clamd, tmp_path: Path
) -> None:
    settings.CLAMD, settings.CLAMD_TIMEOUT = clamd.address, 10.0
    kind = DataKind.objects.get(business__code="zeimu-shuno", label="MPN済通収納データ (住民税)")
    data = collection_file(kind.format, 3)
    infected = data[:40] + TEST_STRING + data[40 + len(TEST_STRING) :]
    outcome = services.place(
        data_kind=kind, received=received(infected, "suspicious.dat"), actor=TEST_ACTOR, allow_duplicate=True
    )
    assert outcome.quarantined is not None
    incident = Incident.objects.get(rule="malware")
    _, body = report(tmp_path, "--month", this_month())
    text = pdf_text(body)
    name = flat(Business.objects.get(code="zeimu-shuno").name)
    found = outcome.quarantined.summary["malware"]
    assert found.startswith(TEST_SIGNATURE)
    assert f"{name}MPN済通収納データ(住民税)suspicious.dat{flat(found)}隔離(ウイルス検出)" in text
    assert "期間中に隔離したファイル1件" in text and "マルウェアの検出によるインシデントの登録1件" in text
    assert f"{incident.number}{flat(incident.title)}マルウェアの検出" in text
    assert "作成時点のウイルス検査:有効(ClamAV" in text
    # the quarantined file counts as received (配置) in the transfers too
    assert f"{name}MPN済通収納データ(住民税)—100(0)—" in text
