"""The ``kokin`` format commands as an operator meets them: the format detected when ``--format`` is left
out (and a refusal naming the candidates when it is not certain), warnings grouped by field, code and
value, the header and 請求 (未振替) in ``inspect``, and progress bars only on a terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kokin.cli import main
from kokin.formats import FORMATS, errors
from kokin.formats import commands as format_commands
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, mutate, payer, request_file

WriteFile = Callable[..., Path]
DETECTED = "形式 zengin-debit と判定しました ("


def kokin(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def unknown_banks(n: int, codes: dict[int, bytes]) -> bytes:
    """A request of ``n`` payers (records 2 … n + 1) whose bank code is ``codes[record]`` where given."""
    raw = request_file(n)
    for record, code in codes.items():
        raw = mutate(raw, record, 2, code)
    return raw


# --- the format, detected -------------------------------------------------------------------------------


def test_validate_without_format_says_the_detected_format_on_stderr(write_file: WriteFile) -> None:
    path = write_file(request_file(3))
    result = kokin("validate", path)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(DETECTED) and "detected format zengin-debit (" in result.stderr
    assert "type_code=91" in result.stderr
    assert result.stdout.strip() == f"OK: {path}: エラー 0 件, 警告 0 件 / 0 errors, 0 warnings"


def test_validate_with_format_says_nothing_about_detection(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(request_file(3)), "--format", "zengin-debit")
    assert result.exit_code == 0 and result.stderr == ""


def test_convert_without_format_says_the_detected_format_and_converts(write_file: WriteFile) -> None:
    result = kokin("convert", write_file(request_file(2)), "--to", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(DETECTED)
    assert json.loads(result.stdout)["format"] == "zengin-debit"


@pytest.mark.parametrize("command", [["validate"], ["convert", "--to", "json"]])
def test_a_file_of_no_known_format_is_refused_listing_every_format(write_file: WriteFile, command: list[str]) -> None:
    result = kokin(command[0], write_file("請求書\r\n".encode("cp932")), *command[1:])
    assert result.exit_code == 2
    names = ", ".join(FORMATS)
    assert (
        f"形式を確定できません (どの形式のヘッダーとも一致しません)。--format で次のどれかを指定してください: {names}"
        in (result.stderr)
    )
    assert (
        f"cannot tell the format for certain (the first record matches no known header); give --format, one of: {names}"
        in (result.stderr.replace("\n", " "))
    )
    assert result.stdout == ""


def test_an_empty_file_is_refused_without_format(write_file: WriteFile) -> None:
    result = kokin("validate", write_file(b""))
    assert result.exit_code == 2 and "空のファイルです" in result.stderr and "the file is empty" in result.stderr


def test_a_header_that_fits_two_formats_is_refused_naming_both(
    write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(FORMATS, "zengin-debit-bank-copy", zengin_debit)  # a second layout with the same header
    path = write_file(request_file(1))
    for result in (kokin("validate", path), kokin("convert", path, "--to", "json")):
        assert result.exit_code == 2
        assert "ヘッダーが複数の形式に合います" in result.stderr
        assert "give --format, one of: zengin-debit, zengin-debit-bank-copy" in result.stderr.replace("\n", " ")
    inspected = kokin("inspect", path)
    assert inspected.exit_code == 1
    assert "候補: zengin-debit, zengin-debit-bank-copy" in inspected.stderr and "--format" not in inspected.stderr
    # naming the format settles it
    assert kokin("validate", path, "--format", "zengin-debit").exit_code == 0


# --- grouped warnings ----------------------------------------------------------------------------------


def test_warnings_of_one_value_are_one_line_with_the_count_and_first_five_records(write_file: WriteFile) -> None:
    raw = unknown_banks(8, {r: b"9998" for r in range(2, 9)} | {9: b"9997"})
    result = kokin("validate", write_file(raw), "--format", "zengin-debit")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stdout.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING 7 records (2, 3, 4, 5, 6 …): bank_code (bytes 2-5): bank code 9998 is not in the bank master"
        f" ({_version()}) / 7 件 (レコード 2, 3, 4, 5, 6 …): 金融機関コード 9998 は金融機関マスタ ({_version()})"
        " にありません",
        f"WARNING record 9: bank_code (bytes 2-5): bank code 9997 is not in the bank master ({_version()})"
        f" / 金融機関コード 9997 は金融機関マスタ ({_version()}) にありません",
    ]
    assert "警告 8 件" in result.stdout


def test_each_warning_lists_every_warning_on_its_own_line(write_file: WriteFile) -> None:
    raw = unknown_banks(8, {r: b"9998" for r in range(2, 9)} | {9: b"9997"})
    result = kokin("validate", write_file(raw), "--format", "zengin-debit", "--each-warning")
    warnings = [line for line in result.stdout.splitlines() if line.startswith("WARNING")]
    assert [w.split(":")[0] for w in warnings] == [f"WARNING record {r}" for r in range(2, 10)]


def test_json_keeps_every_warning_and_adds_the_groups(write_file: WriteFile) -> None:
    raw = unknown_banks(8, {r: b"9998" for r in range(2, 9)} | {9: b"9997"})
    report = json.loads(kokin("validate", write_file(raw), "--format", "zengin-debit", "--json").stdout)
    assert [i["record"] for i in report["issues"]] == list(range(2, 10))
    assert [(g["field"], g["count"], g["first_records"]) for g in report["warning_groups"]] == [
        ("bank_code", 7, [2, 3, 4, 5, 6]),
        ("bank_code", 1, [9]),
    ]


def test_warnings_beyond_the_issue_limit_are_still_grouped_by_value_and_counted(write_file: WriteFile) -> None:
    # records 2, 4, 6, 8 → 9998 and 3, 5, 7, 9 → 9997: only records 2 and 3 are listed, the rest counted
    raw = unknown_banks(8, {r: b"9998" if r % 2 == 0 else b"9997" for r in range(2, 10)})
    result = kokin("validate", write_file(raw), "--format", "zengin-debit", "--issue-limit", "2", "--json")
    report = json.loads(result.stdout)
    assert len(report["issues"]) == 2 and report["warnings"] == 8
    groups = {g["message_en"].split()[2]: (g["count"], g["first_records"]) for g in report["warning_groups"]}
    assert groups == {"9998": (4, [2, 4, 6, 8]), "9997": (4, [3, 5, 7, 9])}


def test_dummy_warnings_of_any_bytes_make_one_group_beyond_the_issue_limit(write_file: WriteFile) -> None:
    # the data record's second dummy (bytes 113-120) holds a different value in each of 6 records
    raw = request_file(6)
    for record in range(2, 8):
        raw = mutate(raw, record, 113, f"X{record}".encode())
    result = kokin("validate", write_file(raw), "--format", "zengin-debit", "--issue-limit", "1", "--json")
    report = json.loads(result.stdout)
    assert [(g["field"], g["count"], g["first_records"]) for g in report["warning_groups"]] == [
        ("dummy_2", 6, [2, 3, 4, 5, 6])
    ]


def test_a_value_seen_before_the_groups_are_full_keeps_counting_after(
    write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(errors, "GROUP_LIMIT", 1)
    # 9998 listed (record 2), then counted: 9997 (record 3) finds the groups full, 9998 (record 4) joins its group
    raw = unknown_banks(3, {2: b"9998", 3: b"9997", 4: b"9998"})
    result = kokin("validate", write_file(raw), "--format", "zengin-debit", "--issue-limit", "1", "--json")
    report = json.loads(result.stdout)
    assert [(g["count"], g["first_records"]) for g in report["warning_groups"]] == [(2, [2, 4])]
    assert report["warnings"] == 3


def test_warnings_of_more_values_than_the_groups_kept_are_counted_at_the_end(
    write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(errors, "GROUP_LIMIT", 1)
    raw = unknown_banks(3, {2: b"9998", 3: b"9997", 4: b"9997"})
    result = kokin("validate", write_file(raw), "--format", "zengin-debit")
    assert [line for line in result.stdout.splitlines() if line.startswith("WARNING")] == [
        f"WARNING record 2: bank_code (bytes 2-5): bank code 9998 is not in the bank master ({_version()})"
        f" / 金融機関コード 9998 は金融機関マスタ ({_version()}) にありません"
    ]
    assert "... ほか 2 件 / 2 more" in result.stderr


def _version() -> str:
    from kokin.formats.bankmaster import master

    return master().version


# --- inspect ---------------------------------------------------------------------------------------------


def test_inspect_of_a_request_says_requested_not_debited_and_shows_the_header(write_file: WriteFile) -> None:
    result = kokin("inspect", write_file(request_file(3)))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "0 請求 (未振替) (requested, not yet debited): 3 件 3,003 円" in out
    assert "振替済" not in out
    assert "ヘッダー header (バッチ 1 batch 1, レコード 1 record 1):" in out
    assert "  委託者コード consignor code: 1234567890" in out
    assert "  委託者名 consignor name: ﾃｽﾄｸ ｾﾞｲﾑｶ" in out
    assert "  引落日 debit date (MMDD): 0527 (5月27日)" in out


def test_inspect_of_a_result_still_says_transferred(write_file: WriteFile) -> None:
    raw = zengin_debit.build([{"header": dict(HEADER), "records": [payer(0, result_code="0")]}], result=True)
    out = kokin("inspect", write_file(raw)).stdout
    assert "0 振替済 (transferred): 1 件" in out and "請求 (未振替)" not in out


# --- progress bars ---------------------------------------------------------------------------------------


def _every_bar_on(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    """Bars for any size (the thresholds at 0), stderr a terminal or not."""
    monkeypatch.setattr(format_commands, "BIG_FILE", 0)
    monkeypatch.setattr(format_commands, "MANY_ROWS", 0)
    monkeypatch.setattr(format_commands, "_on_terminal", lambda: terminal)


def _runs(tmp_path: Path, write_file: WriteFile) -> dict[str, Result]:
    path = write_file(request_file(5))
    return {
        "sample": kokin("sample", "--format", "zengin-debit", "--records", "5", "-o", tmp_path / "s.dat"),
        "validate": kokin("validate", path, "--format", "zengin-debit"),
        "convert": kokin("convert", path, "--format", "zengin-debit", "--to", "csv", "-o", tmp_path / "o.csv"),
        "inspect": kokin("inspect", path),
    }


def test_progress_is_silent_when_stderr_is_not_a_terminal(
    tmp_path: Path, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    _every_bar_on(monkeypatch, terminal=False)
    for name, result in _runs(tmp_path, write_file).items():
        assert result.exit_code == 0, (name, result.output)
        assert "%|" not in result.stderr and "\r" not in result.stderr, name


def test_progress_bars_show_on_a_terminal(
    tmp_path: Path, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    _every_bar_on(monkeypatch, terminal=True)
    for name, result in _runs(tmp_path, write_file).items():
        assert result.exit_code == 0, (name, result.output)
        assert "%|" in result.stderr, name  # a tqdm bar, cleared when done (leave=False)
