"""``kokin registers show|export|refresh``: the text, the files written (logged), and the exit status."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from pypdf import PdfReader

from kokin.accounts.models import Terminal
from kokin.audit.models import AuditEntry
from kokin.cli import main
from kokin.registers import selectors


def test_show_prints_the_current_version_and_an_older_one_on_request(ward: Any) -> None:
    Terminal.objects.create(
        name="予備サーバ", kind="server", place="データセンター", address="10.99.0.9", owner="運用担当"
    )
    result = CliRunner().invoke(main, ["registers", "refresh"])
    assert result.exit_code == 0 and "情報処理機器届出台帳 第2版 を作成しました" in result.output
    current = CliRunner().invoke(main, ["registers", "show", "equipment"])
    assert current.exit_code == 0, current.output
    assert "版: 第2版" in current.output and "確認者: 未承認" in current.output
    assert "前の版 (第1版) からの変更:" in current.output
    number = Terminal.objects.get(name="予備サーバ").pk
    assert f"- 機器を登録: 管理番号 {number} 予備サーバ (サーバ、データセンター)" in current.output
    assert f"{number}\t予備サーバ\tサーバ\tデータセンター\t10.99.0.9\t—\t運用担当\t" in current.output
    first = CliRunner().invoke(main, ["registers", "show", "equipment", "--version", "1"])
    assert "版: 第1版" in first.output and "予備サーバ" not in first.output
    again = CliRunner().invoke(main, ["registers", "refresh"])
    assert again.exit_code == 0 and "変更はありません / no register changed" in again.output


def test_export_writes_the_pdf_and_the_csv_and_logs_each(ward: Any, tmp_path: Path) -> None:
    pdf, table = tmp_path / "roster.pdf", tmp_path / "roster.csv"
    result = CliRunner().invoke(main, ["registers", "export", "roster", "--pdf", str(pdf), "--csv", str(table)])
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text().replace("\x00", "") for page in PdfReader(pdf).pages)
    assert "従事者名簿" in text and "zeimu-approve" in text
    body = table.read_bytes()
    rows = list(csv.reader(io.StringIO(body.removeprefix(codecs.BOM_UTF8).decode("utf-8"), newline="")))
    assert rows[0] == ["表題", "従事者名簿"] and ["課", "業務", "氏名", "利用者ID", "役割"] in rows
    logged = AuditEntry.objects.filter(action="register_export").order_by("seq")
    assert [(e.detail["as"], e.sha256, e.role) for e in logged] == [
        ("pdf", hashlib.sha256(pdf.read_bytes()).hexdigest(), "コマンド"),
        ("csv", hashlib.sha256(body).hexdigest(), "コマンド"),
    ]


def test_wrong_use_and_missing_versions_say_so_in_both_languages(db: None, tmp_path: Path) -> None:
    nothing = CliRunner().invoke(main, ["registers", "export", "roster", "--version", "1"])
    assert nothing.exit_code == 2 and "--pdf か --csv を指定してください / give --pdf or --csv" in nothing.output
    empty = CliRunner().invoke(main, ["registers", "show", "roster"])
    assert empty.exit_code == 1
    assert "従事者名簿の版はまだありません。 / the roster register has no version yet" in empty.output
    assert selectors.current("roster") is None
    CliRunner().invoke(main, ["registers", "refresh"])
    missing = CliRunner().invoke(
        main, ["registers", "export", "roster", "--version", "7", "--csv", str(tmp_path / "x")]
    )
    assert missing.exit_code == 2
    assert "従事者名簿に第7版はありません。 / the roster register has no version 7" in missing.output
    assert not (tmp_path / "x").exists()
    unknown = CliRunner().invoke(main, ["registers", "show", "printers"])
    assert unknown.exit_code == 2
