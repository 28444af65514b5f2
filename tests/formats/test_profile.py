"""Bank profiles (TOML): what they change in the Zengin layout, and errors that name the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kokin.formats.errors import FormatError
from kokin.formats.kinds import zengin_debit
from kokin.formats.profile import Profile, load_profile
from support.records import HEADER, mutate, payer, request_file

WriteProfile = Callable[..., Path]
EXAMPLE = Path(__file__).resolve().parents[2] / "profiles" / "example-bank.toml"

BLANK_ACCOUNT = """\
[bank]
code = "0005"
name = "サンプル銀行"

[formats.zengin-debit.records.header.fields.account_type]
blank_ok = true

[formats.zengin-debit.records.header.fields.account_number]
blank_ok = true
"""

NO_COMMA = """\
[bank]
code = "0005"

[formats.zengin-debit]
charset_remove = ",."
"""


def layout_of(path: Path) -> object:
    return load_profile(path).layout(zengin_debit.NAME, zengin_debit.LAYOUT)


def error_of(path: Path) -> str:
    with pytest.raises(FormatError) as exc:
        layout_of(path)
    return str(exc.value)


def test_profile_reads_the_bank_and_its_format_settings(write_profile: WriteProfile) -> None:
    profile = load_profile(write_profile(BLANK_ACCOUNT))
    assert isinstance(profile, Profile)
    assert (profile.bank_code, profile.bank_name) == ("0005", "サンプル銀行")
    assert set(profile.formats) == {"zengin-debit"}


def test_profile_without_changes_keeps_the_module_layout(write_profile: WriteProfile) -> None:
    profile = load_profile(write_profile('[bank]\ncode = "0005"\n'))
    assert profile.layout(zengin_debit.NAME, zengin_debit.LAYOUT) is zengin_debit.LAYOUT


def test_blank_consignor_account_is_rejected_by_default() -> None:
    raw = mutate(request_file(1), 1, 96, b" " * 8)
    report = zengin_debit.validate(raw)
    assert sorted((e.record, e.field) for e in report.errors) == [(1, "account_number"), (1, "account_type")]


def test_blank_consignor_account_is_accepted_with_a_blank_ok_profile(write_profile: WriteProfile) -> None:
    layout = layout_of(write_profile(BLANK_ACCOUNT))
    raw = mutate(request_file(1), 1, 96, b" " * 8)
    report = zengin_debit.validate(raw, layout=layout)
    assert report.ok, [str(e) for e in report.errors]


def test_blank_ok_profile_still_rejects_a_wrong_account_type(write_profile: WriteProfile) -> None:
    layout = layout_of(write_profile(BLANK_ACCOUNT))
    report = zengin_debit.validate(mutate(request_file(1), 1, 96, b"3"), layout=layout)
    assert [(e.record, e.field) for e in report.errors] == [(1, "account_type")]


def test_blank_ok_profile_builds_a_header_with_blanks(write_profile: WriteProfile) -> None:
    layout = layout_of(write_profile(BLANK_ACCOUNT))
    header = {**HEADER, "account_type": None, "account_number": None}
    raw = zengin_debit.build([{"header": header, "records": [payer()]}], layout=layout)
    assert raw[95:103] == b" " * 8
    assert zengin_debit.validate(raw, layout=layout).ok


def test_profile_narrowing_the_charset_rejects_a_name_with_a_comma(write_profile: WriteProfile) -> None:
    layout = layout_of(write_profile(NO_COMMA))
    raw = zengin_debit.build([{"header": HEADER, "records": [payer(0, holder_name="ﾔﾏﾀﾞ,ﾀﾛｳ")]}])
    assert zengin_debit.validate(raw).ok
    report = zengin_debit.validate(raw, layout=layout)
    [error] = report.errors
    assert (error.record, error.field, error.start, error.end) == (2, "holder_name", 51, 80)
    assert 'byte 55 "," (0x2C)' in error.message_en
    assert "「,」(0x2C)" in error.message_ja


def test_profile_narrowing_the_charset_refuses_to_build_a_name_with_a_period(write_profile: WriteProfile) -> None:
    layout = layout_of(write_profile(NO_COMMA))
    with pytest.raises(FormatError) as exc:
        zengin_debit.build([{"header": HEADER, "records": [payer(0, holder_name="ﾔﾏﾀﾞ.ﾀﾛｳ")]}], layout=layout)
    issue = exc.value.issues[0]
    assert (issue.record, issue.field) == (2, "holder_name")
    assert "character 5 '.'" in issue.message_en


def test_profile_accepting_only_crlf_rejects_a_file_without_separators(write_profile: WriteProfile) -> None:
    layout = layout_of(write_profile('[formats.zengin-debit]\nseparators = ["crlf"]\n'))
    report = zengin_debit.validate(request_file(1, separator="none"), layout=layout)
    assert [(e.record, e.field) for e in report.errors] == [(1, "separator")]
    assert zengin_debit.validate(request_file(1), layout=layout).ok


def test_example_bank_profile_in_the_repository_loads_and_works() -> None:
    layout = layout_of(EXAMPLE)
    raw = mutate(request_file(2), 1, 96, b" " * 8)
    assert zengin_debit.validate(raw, layout=layout).ok
    assert not zengin_debit.validate(request_file(2, separator="none"), layout=layout).ok


# --- errors name the line ---------------------------------------------------------------------------


def test_overlapping_fields_name_the_line_of_the_field(write_profile: WriteProfile) -> None:
    path = write_profile(
        "[bank]\n"
        'code = "0005"\n'
        "\n"
        "[formats.zengin-debit.records.data.fields.amount]\n"  # line 4
        "start = 80\n"
    )
    message = error_of(path)
    assert f"{path}:4:" in message
    assert "amount" in message and "overlaps the field before it (starts at 80)" in message


def test_unknown_field_attribute_names_its_line(write_profile: WriteProfile) -> None:
    path = write_profile(
        '[bank]\ncode = "0005"\n\n[formats.zengin-debit.records.data.fields.amount]\ncolour = "red"\n'  # line 5
    )
    with pytest.raises(FormatError) as exc:
        layout_of(path)
    [issue] = exc.value.issues
    assert issue.record == 5 and issue.unit == "line"
    assert f"{path}:5:" in issue.message_en and "unknown attribute(s) colour" in issue.message_en
    assert str(issue).startswith("line 5:")


def test_lengths_not_adding_up_to_the_record_length_name_the_line(write_profile: WriteProfile) -> None:
    path = write_profile(
        '[bank]\ncode = "0005"\n\n[formats.zengin-debit]\nrecord_length = 130\n'  # line 5
    )
    with pytest.raises(FormatError) as exc:
        layout_of(path)
    assert [i.field for i in exc.value.issues] == ["header", "data", "trailer", "end"]
    for issue in exc.value.issues:
        assert f"{path}:5:" in issue.message_en
        assert "fields add up to 120 bytes, record length is 130" in issue.message_en


def test_unknown_layout_setting_names_its_line(write_profile: WriteProfile) -> None:
    path = write_profile('[formats.zengin-debit]\nseparators = ["crlf"]\nrecord_width = 120\n')
    message = error_of(path)
    assert f"{path}:3:" in message and "unknown layout setting(s): record_width" in message


def test_unknown_record_kind_names_its_line(write_profile: WriteProfile) -> None:
    path = write_profile('[bank]\ncode = "1"\n\n[formats.zengin-debit.records.footer.fields.x]\nstart = 1\n')
    message = error_of(path)
    assert f"{path}:4:" in message and "unknown record kind 'footer'" in message


def test_unknown_format_names_its_line(write_profile: WriteProfile) -> None:
    path = write_profile('[bank]\ncode = "0005"\n\n[formats.zengin-transfer]\nseparators = ["crlf"]\n')
    with pytest.raises(FormatError) as exc:
        load_profile(path)
    message = str(exc.value)
    assert f"{path}:4:" in message and "unknown format 'zengin-transfer'" in message and "不明な形式" in message


def test_unknown_section_names_its_line(write_profile: WriteProfile) -> None:
    path = write_profile('[bank]\ncode = "0005"\n\n[banks]\nx = 1\n')
    with pytest.raises(FormatError) as exc:
        load_profile(path)
    assert f"{path}:4:" in str(exc.value) and "unknown section 'banks'" in str(exc.value)


def test_load_profile_checks_the_layout_at_once(write_profile: WriteProfile) -> None:
    path = write_profile("[formats.zengin-debit.records.data.fields.amount]\nlength = 11\n")
    with pytest.raises(FormatError) as exc:
        load_profile(path)
    assert f"{path}:1:" in str(exc.value)


def test_toml_syntax_error_names_the_line(write_profile: WriteProfile) -> None:
    path = write_profile('[bank]\ncode = "0005\n')
    with pytest.raises(FormatError) as exc:
        load_profile(path)
    assert str(path) in str(exc.value) and "line 2" in str(exc.value) and "書式が誤っています" in str(exc.value)


@pytest.mark.parametrize(
    "text",
    [
        "formats = 1\n",
        "[formats.zengin-debit.records]\ndata = 5\n",
        '[formats.zengin-debit.records.data.fields.amount]\nstart = "80"\n',
        '[formats.zengin-debit]\nrecord_length = "long"\n',
    ],
)
def test_value_of_the_wrong_kind_is_a_format_error_naming_the_line(write_profile: WriteProfile, text: str) -> None:
    path = write_profile(text)
    with pytest.raises(FormatError) as exc:
        load_profile(path)
    assert f"{path}:1:" in str(exc.value)


def test_missing_profile_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="プロファイルを開けません"):
        load_profile(tmp_path / "nothing.toml")


def test_comment_lines_are_not_taken_for_the_faulty_line(write_profile: WriteProfile) -> None:
    path = write_profile(
        '# amount: colour the amount red\n[formats.zengin-debit.records.data.fields.amount]\ncolour = "red"\n'  # line 3
    )
    assert f"{path}:3:" in error_of(path)


def test_a_numeric_field_of_more_than_18_digits_is_refused_naming_the_line(write_profile: WriteProfile) -> None:
    # amounts are decoded into 64-bit integers: a 20-digit customer number marked numeric would overflow
    path = write_profile(
        '[bank]\ncode = "0005"\n\n[formats.zengin-debit.records.data.fields.customer_number]\nnumeric = true\n'
    )
    message = error_of(path)
    assert f"{path}:4:" in message or f"{path}:5:" in message
    assert "customer_number" in message and "at most 18 digits" in message
