"""The ``kokin`` command for format files: validate, convert, inspect and debit build.

Exit status: 0 success (warnings allowed), 1 invalid file or nothing built, 2 wrong usage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from kokin.cli import main
from kokin.formats.framing import EBCDIC_TO_CP932
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, batch, mutate, payer, request_file, split

WriteFile = Callable[..., Path]
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CSV = REPO / "examples" / "debit-requests.csv"
CONSIGNOR = [
    "--consignor-code",
    "1234567890",
    "--consignor-name",
    "デモク ゼイムカ",
    "--debit-date",
    "0527",
    "--bank-code",
    "0001",
    "--branch-code",
    "001",
    "--account-number",
    "7777777",
]
CSV_HEAD = "bank_code,branch_code,account_type,account_number,holder_name,amount,customer_number,new_code\n"


def kokin(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def broken_file() -> bytes:
    """Three faults: record 1 debit date, record 3 holder name, record 5 (trailer) total amount."""
    raw = request_file(3)
    raw = mutate(raw, 1, 55, b"0231")
    raw = mutate(raw, 3, 53, "ｮ")
    return mutate(raw, 5, 8, b"000000003004")


# --- validate ------------------------------------------------------------------------------------------


def test_validate_valid_file_exits_0_and_says_ok(write_file: WriteFile) -> None:
    path = write_file(request_file(3))
    result = kokin("validate", path, "--format", "zengin-debit")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"OK: {path}: エラー 0 件, 警告 0 件 / 0 errors, 0 warnings"
    assert result.stderr == ""


def test_validate_invalid_file_exits_1_with_record_and_field_in_every_error(write_file: WriteFile) -> None:
    path = write_file(broken_file())
    result = kokin("validate", path, "--format", "zengin-debit")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors == [
        "ERROR record 1: debit_date (bytes 55-58): debit_date '0231' is not a real month and day (MMDD)"
        " / 引落日「0231」は実在する月日 (MMDD)ではありません",
        'ERROR record 3: holder_name (bytes 51-80): holder_name byte 53 "ｮ" (0xAE) is not in the Zengin'
        " character set / 預金者名の 53 バイト目 「ｮ」(0xAE) は全銀協の文字セットにない文字です",
        "ERROR record 5: total_amount (bytes 8-19): total_amount 3,004 does not match 3,003 computed from the"
        " data records / 合計金額 3,004 がデータレコードから求めた 3,003 と一致しません",
    ]
    assert result.stdout.strip() == f"INVALID: {path}: エラー 3 件, 警告 0 件 / 3 errors, 0 warnings"


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda raw: raw.replace(b"\r\n", b"\n", 2).replace(b"\n", b"\r\n", 1), "record 2: separator"),
        (lambda raw: b"".join(r + b"\r\n" for i, r in enumerate(split(raw)) if i != 5), "record 5: record_order"),
        (lambda raw: raw[:244] + raw[245:], "record 3: length"),
        (lambda raw: mutate(raw, 2, 1, b"7"), "record 2: data_kind"),
    ],
)
def test_validate_structural_errors_name_the_record_and_the_fault(
    write_file: WriteFile, damage: Callable[[bytes], bytes], words: str
) -> None:
    result = kokin("validate", write_file(damage(request_file(3))), "--format", "zengin-debit")
    assert result.exit_code == 1
    assert f"ERROR {words}" in result.stderr


def test_validate_unknown_bank_code_is_a_warning_and_exits_0(write_file: WriteFile) -> None:
    path = write_file(mutate(request_file(2), 2, 2, b"9998"))
    result = kokin("validate", path, "--format", "zengin-debit")
    assert result.exit_code == 0, result.output
    assert "WARNING record 2: bank_code (bytes 2-5): bank code 9998 is not in the bank master" in result.stdout
    assert "OK:" in result.stdout and "警告 1 件" in result.stdout


def test_validate_no_master_skips_the_warning(write_file: WriteFile) -> None:
    path = write_file(mutate(request_file(2), 2, 2, b"9998"))
    result = kokin("validate", path, "--format", "zengin-debit", "--no-master")
    assert result.exit_code == 0 and "WARNING" not in result.output


def test_validate_json_lists_every_issue(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(broken_file()), "--format", "zengin-debit", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["ok"], report["errors"], report["warnings"]) == (False, 3, 0)
    assert [(i["record"], i["field"], i["start"], i["end"]) for i in report["issues"]] == [
        (1, "debit_date", 55, 58),
        (3, "holder_name", 51, 80),
        (5, "total_amount", 8, 19),
    ]
    assert report["issues"][1]["message_ja"].startswith("預金者名の 53 バイト目")


def test_validate_max_errors_prints_the_first_and_counts_the_rest(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(broken_file()), "--format", "zengin-debit", "--max-errors", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("ERROR record 1: debit_date")
    assert "... ほか 2 件 / 2 more" in result.stderr
    assert "3 errors" in result.stdout


def test_validate_mode_result_checks_the_result_totals(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(request_file(2)), "--format", "zengin-debit", "--mode", "result")
    assert result.exit_code == 1
    assert "ERROR record 4: transferred_count (bytes 20-25): transferred_count 0 does not match 2" in result.stderr


def test_validate_with_a_profile_accepts_a_blank_consignor_account(
    write_file: WriteFile, write_profile: WriteFile
) -> None:
    path = write_file(mutate(request_file(1), 1, 96, b" " * 8))
    assert kokin("validate", path, "--format", "zengin-debit").exit_code == 1
    result = kokin("validate", path, "--format", "zengin-debit", "--profile", REPO / "profiles" / "example-bank.toml")
    assert result.exit_code == 0, result.output


def test_validate_with_a_faulty_profile_exits_1_naming_the_line(
    write_file: WriteFile, write_profile: WriteFile
) -> None:
    profile = write_profile("[formats.zengin-debit.records.data.fields.amount]\ncolour = 1\n")
    result = kokin("validate", write_file(request_file(1)), "--format", "zengin-debit", "--profile", profile)
    assert result.exit_code == 1
    assert f"{profile}:2:" in result.stderr and "unknown attribute(s) colour" in result.stderr


def test_validate_unknown_format_is_a_usage_error(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(request_file(1)), "--format", "zengin-bogus")
    assert result.exit_code == 2
    assert "unknown format 'zengin-bogus'" in result.stderr


def test_validate_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = kokin("validate", tmp_path / "nothing.dat", "--format", "zengin-debit")
    assert result.exit_code == 2


def test_validate_empty_file_exits_1(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(b""), "--format", "zengin-debit")
    assert result.exit_code == 1 and "ERROR file: length" in result.stderr


# --- convert -------------------------------------------------------------------------------------------


def test_convert_to_json_on_stdout(write_file: WriteFile) -> None:
    raw = zengin_debit.build([batch(2), batch(0)])
    result = kokin("convert", write_file(raw), "--format", "zengin-debit", "--to", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "zengin-debit"
    assert [len(b["records"]) for b in doc["batches"]] == [2, 0]
    first = doc["batches"][0]
    assert first["header"]["consignor_code"] == "1234567890" and first["header"]["bank_code"] == "0001"
    assert first["header"]["consignor_name"] == "ﾃｽﾄｸ ｾﾞｲﾑｶ"
    assert first["records"][0]["amount"] == 1000 and first["records"][0]["account_number"] == "7654321"
    assert (first["trailer"]["total_count"], first["trailer"]["total_amount"]) == (2, 2001)


def test_convert_to_json_file(write_file: WriteFile, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = kokin("convert", write_file(request_file(1)), "--format", "zengin-debit", "--to", "json", "-o", out)
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["batches"][0]["records"][0]["customer_number"] == "0" * 19 + "1"
    assert f"wrote {out}" in result.stderr


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8-sig", True), ("cp932", False)])
def test_convert_to_csv_in_utf8_bom_or_cp932(write_file: WriteFile, tmp_path: Path, encoding: str, bom: bool) -> None:
    out = tmp_path / "out.csv"
    path = write_file(request_file(2))
    result = kokin(
        "convert", path, "--format", "zengin-debit", "--to", "csv", "-o", out, "--encoding", encoding, "--headers", "en"
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") is bom
    lines = raw.decode(encoding).splitlines()
    assert lines[0].startswith('"batch","data_kind","bank_code"')
    assert lines[1].startswith('1,"2","0001","ﾐｽﾞﾎ","001"') and len(lines) == 3


def test_convert_to_xlsx_and_parquet(write_file: WriteFile, tmp_path: Path) -> None:
    path = write_file(request_file(2))
    assert kokin("convert", path, "--format", "zengin-debit", "--to", "xlsx", "-o", tmp_path / "o.xlsx").exit_code == 0
    assert "データレコード" in load_workbook(tmp_path / "o.xlsx", read_only=True).sheetnames
    assert (
        kokin("convert", path, "--format", "zengin-debit", "--to", "parquet", "-o", tmp_path / "o.parquet").exit_code
        == 0
    )
    assert pq.read_table(tmp_path / "o.parquet").column("amount").to_pylist() == [1000, 1001]


def test_convert_to_csv_without_output_is_a_usage_error(write_file: WriteFile) -> None:
    result = kokin("convert", write_file(request_file(1)), "--format", "zengin-debit", "--to", "csv")
    assert result.exit_code == 2 and "needs -o/--output" in result.stderr


def test_convert_refuses_an_invalid_file_and_writes_nothing(write_file: WriteFile, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = kokin("convert", write_file(broken_file()), "--format", "zengin-debit", "--to", "json", "-o", out)
    assert result.exit_code == 1
    assert "ERROR record 3: holder_name" in result.stderr and "--force" in result.stderr
    assert not out.exists()


def test_convert_force_converts_an_invalid_file(write_file: WriteFile, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    path = write_file(broken_file())
    result = kokin("convert", path, "--format", "zengin-debit", "--to", "json", "-o", out, "--force")
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["batches"][0]["header"]["debit_date"] == "0231"


# --- inspect -------------------------------------------------------------------------------------------


def test_inspect_detects_the_format_and_summarises(write_file: WriteFile) -> None:
    records = [payer(0), payer(1, result_code="1"), payer(2, result_code="1")]
    raw = zengin_debit.build([{"header": HEADER, "records": records}, batch(1)], result=True)
    result = kokin("inspect", write_file(raw))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "形式 format: zengin-debit (" in out and "type_code=91" in out
    assert "種類 kind: 結果 result / 区切り separator: CR LF" in out
    assert "レコード records: 9  バッチ batches: 2  データ data: 4  合計金額 total: 4,003 円" in out
    assert "0 振替済 (transferred): 2 件 2,000 円" in out
    assert "1 資金不足 (insufficient funds): 2 件 2,003 円" in out
    assert "0001 みずほ: 4 件 4,003 円" in out
    assert "エラー errors: 0  警告 warnings: 0" in out


def test_inspect_json_has_the_breakdowns(write_file: WriteFile) -> None:
    result = kokin("inspect", write_file(request_file(3, separator="none")), "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["format"] == "zengin-debit" and summary["mode"] == "request"
    assert (summary["batches"], summary["data_records"], summary["total_amount"]) == (1, 3, 3003)
    assert summary["by_result_code"] == {"0": {"count": 3, "amount": 3003}}
    assert summary["by_bank_code"] == {"0001": {"count": 3, "amount": 3003}}


def test_inspect_recognises_an_ebcdic_file(write_file: WriteFile) -> None:
    raw = zengin_debit.build([batch(2, header={**HEADER, "code_division": "1"})])
    result = kokin("inspect", write_file(raw))
    assert result.exit_code == 0, result.output
    assert "EBCDIC" in result.stdout and "データ data: 2" in result.stdout


def test_inspect_exits_1_when_the_file_has_errors(write_file: WriteFile) -> None:
    result = kokin("inspect", write_file(broken_file()))
    assert result.exit_code == 1 and "エラー errors: 3" in result.stdout


def test_inspect_unknown_file_exits_1(write_file: WriteFile) -> None:
    result = kokin("inspect", write_file("請求書\r\n".encode("cp932")))
    assert result.exit_code == 1 and "cannot tell the format" in result.stderr


# --- debit build ---------------------------------------------------------------------------------------


def test_debit_build_from_the_example_csv_writes_a_valid_request(tmp_path: Path) -> None:
    out = tmp_path / "request.dat"
    result = kokin("debit", "build", "--from", EXAMPLE_CSV, "-o", out, *CONSIGNOR)
    assert result.exit_code == 0, result.output
    assert "8 件 230,700 円 / 8 records, 230,700 yen" in result.stdout
    parsed = zengin_debit.parse(out.read_bytes())
    assert parsed.report.ok and parsed.mode == "request"
    [only] = parsed.batches()
    assert only["header"]["consignor_name"] == "ﾃﾞﾓｸ ｾﾞｲﾑｶ"
    assert only["header"]["bank_name"] == "ﾐｽﾞﾎ"
    first = only["records"][0]  # type: ignore[index]
    assert first["holder_name"] == "ﾔﾏﾀﾞ ﾀﾛｳ" and first["customer_number"] == "00000000100000000001"
    assert only["trailer"]["total_amount"] == 230_700  # type: ignore[index]


def test_debit_build_reports_every_faulty_row_by_line_and_writes_nothing(write_file: WriteFile, tmp_path: Path) -> None:
    csv_text = (
        CSV_HEAD
        + "0001,001,1,1234567,ヤマダ タロウ,12000,1,0\n"
        + "0001,001,5,12x4567,ヤマダ タロウ,abc,2,0\n"
        + "0001,001,1,1234567,ヤマダ&,100,3,7\n"
    )
    source = write_file(csv_text.encode("utf-8"), "payers.csv")
    out = tmp_path / "request.dat"
    result = kokin("debit", "build", "--from", source, "-o", out, *CONSIGNOR)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert [e.split(":")[0] for e in errors] == [
        "ERROR line 3",
        "ERROR line 3",
        "ERROR line 3",
        "ERROR line 4",
        "ERROR line 4",
    ]
    assert "ERROR line 3: account_number: '12x4567' is not a number" in result.stderr
    assert "ERROR line 3: account_type: account_type '5' must be 1, 2, 3 or 9" in result.stderr
    assert "ERROR line 3: amount:" in result.stderr
    assert "ERROR line 4: new_code: new_code '7' must be 0, 1 or 2" in result.stderr
    assert 'ERROR line 4: holder_name: "&" (character 4)' in result.stderr
    assert not out.exists()


def test_debit_build_reads_a_cp932_csv(write_file: WriteFile, tmp_path: Path) -> None:
    source = write_file((CSV_HEAD + '0001,001,普通,1234567,ｽｽﾞｷ ﾊﾅｺ,"1,500",42,1\n').encode("cp932"), "p.csv")
    out = tmp_path / "request.dat"
    result = kokin("debit", "build", "--from", source, "-o", out, *CONSIGNOR)
    assert result.exit_code == 0, result.output
    record = zengin_debit.parse(out.read_bytes()).batches()[0]["records"][0]  # type: ignore[index]
    assert (record["holder_name"], record["amount"], record["new_code"]) == ("ｽｽﾞｷ ﾊﾅｺ", 1500, "1")


def test_debit_build_unknown_bank_code_needs_allow_unknown_codes(write_file: WriteFile, tmp_path: Path) -> None:
    source = write_file((CSV_HEAD + "9998,001,1,1234567,ﾀﾛｳ,100,1,0\n").encode(), "p.csv")
    out = tmp_path / "request.dat"
    refused = kokin("debit", "build", "--from", source, "-o", out, *CONSIGNOR)
    assert refused.exit_code == 1 and "ERROR line 2: bank_code" in refused.stderr and not out.exists()
    allowed = kokin("debit", "build", "--from", source, "-o", out, *CONSIGNOR, "--allow-unknown-codes")
    assert allowed.exit_code == 0, allowed.output
    assert zengin_debit.validate(out.read_bytes()).ok


def test_debit_build_truncates_a_long_name_only_when_asked(write_file: WriteFile, tmp_path: Path) -> None:
    name = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐ"
    source = write_file((CSV_HEAD + f"0001,001,1,1234567,{name},100,1,0\n").encode(), "p.csv")
    out = tmp_path / "request.dat"
    assert kokin("debit", "build", "--from", source, "-o", out, *CONSIGNOR).exit_code == 1
    result = kokin("debit", "build", "--from", source, "-o", out, *CONSIGNOR, "--truncate")
    assert result.exit_code == 0 and "WARNING line 2 holder_name" in result.stderr
    assert zengin_debit.parse(out.read_bytes()).batches()[0]["records"][0]["holder_name"] == name[:30]  # type: ignore[index]


def test_debit_build_ebcdic_writes_code_division_1_in_ebcdic(tmp_path: Path) -> None:
    out = tmp_path / "request.dat"
    result = kokin("debit", "build", "--from", EXAMPLE_CSV, "-o", out, *CONSIGNOR, "--ebcdic", "--separator", "none")
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw[:4].translate(EBCDIC_TO_CP932) == b"1911" and len(raw) == 11 * 120
    parsed = zengin_debit.parse(raw)
    assert parsed.report.ok and parsed.ebcdic and parsed.convention == "none"


def test_debit_build_invalid_debit_date_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "request.dat"
    args = [a if a != "0527" else "0230" for a in CONSIGNOR]
    result = kokin("debit", "build", "--from", EXAMPLE_CSV, "-o", out, *args)
    assert result.exit_code == 1
    assert "ERROR record 1: debit_date" in result.stderr and not out.exists()


# --- a real process --------------------------------------------------------------------------------------


def test_kokin_runs_as_a_module_in_a_real_process(write_file: WriteFile) -> None:
    good = write_file(request_file(2), "good.dat")
    bad = write_file(broken_file(), "bad.dat")
    ok = subprocess.run(
        [sys.executable, "-m", "kokin.cli", "validate", str(good), "--format", "zengin-debit"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK:" in ok.stdout
    invalid = subprocess.run(
        [sys.executable, "-m", "kokin.cli", "validate", str(bad), "--format", "zengin-debit"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert invalid.returncode == 1
    assert "ERROR record 3: holder_name" in invalid.stderr
