"""The Zengin 91 layout against the tables of formats.md §1, and the layout machinery (check, override)."""

from __future__ import annotations

import pytest

from kokin.formats.charset import ZENGIN_CHARS
from kokin.formats.codec import encode_field, encode_record
from kokin.formats.errors import FormatError
from kokin.formats.kinds import zengin_debit
from kokin.formats.layout import Field, Layout, RecordKind, override
from support.records import payer, request_file, split

LAYOUT = zengin_debit.LAYOUT

# (name, first byte, last byte, type) exactly as formats.md §1 lists them
SPEC: dict[str, list[tuple[str, int, int, str]]] = {
    "header": [
        ("data_kind", 1, 1, "N"),
        ("type_code", 2, 3, "N"),
        ("code_division", 4, 4, "N"),
        ("consignor_code", 5, 14, "N"),
        ("consignor_name", 15, 54, "C"),
        ("debit_date", 55, 58, "N"),
        ("bank_code", 59, 62, "N"),
        ("bank_name", 63, 77, "C"),
        ("branch_code", 78, 80, "N"),
        ("branch_name", 81, 95, "C"),
        ("account_type", 96, 96, "N"),
        ("account_number", 97, 103, "N"),
        ("dummy", 104, 120, "C"),
    ],
    "data": [
        ("data_kind", 1, 1, "N"),
        ("bank_code", 2, 5, "N"),
        ("bank_name", 6, 20, "C"),
        ("branch_code", 21, 23, "N"),
        ("branch_name", 24, 38, "C"),
        ("dummy_1", 39, 42, "C"),
        ("account_type", 43, 43, "N"),
        ("account_number", 44, 50, "N"),
        ("holder_name", 51, 80, "C"),
        ("amount", 81, 90, "N"),
        ("new_code", 91, 91, "N"),
        ("customer_number", 92, 111, "N"),
        ("result_code", 112, 112, "N"),
        ("dummy_2", 113, 120, "C"),
    ],
    "trailer": [
        ("data_kind", 1, 1, "N"),
        ("total_count", 2, 7, "N"),
        ("total_amount", 8, 19, "N"),
        ("transferred_count", 20, 25, "N"),
        ("transferred_amount", 26, 37, "N"),
        ("failed_count", 38, 43, "N"),
        ("failed_amount", 44, 55, "N"),
        ("dummy", 56, 120, "C"),
    ],
    "end": [("data_kind", 1, 1, "N"), ("dummy", 2, 120, "C")],
}

ALLOWED = {
    ("header", "data_kind"): ("1",),
    ("header", "type_code"): ("91",),
    ("header", "code_division"): ("0", "1"),
    ("header", "account_type"): ("1", "2", "9"),
    ("data", "data_kind"): ("2",),
    ("data", "account_type"): ("1", "2", "3", "9"),
    ("data", "new_code"): ("0", "1", "2"),
    ("data", "result_code"): ("0", "1", "2", "3", "4", "8", "9"),
    ("trailer", "data_kind"): ("8",),
    ("end", "data_kind"): ("9",),
}


@pytest.mark.parametrize("kind", SPEC)
def test_field_positions_lengths_and_types_match_the_specification(kind: str) -> None:
    fields = LAYOUT.kind(kind).fields
    assert [(f.name, f.start, f.end, f.type) for f in fields] == SPEC[kind]


@pytest.mark.parametrize("kind", SPEC)
def test_each_record_kind_covers_exactly_120_bytes(kind: str) -> None:
    assert sum(f.length for f in LAYOUT.kind(kind).fields) == 120 == LAYOUT.record_length


def test_data_kind_codes_are_1_2_8_9_in_file_order() -> None:
    assert [(k.code, k.name) for k in LAYOUT.kinds] == [("1", "header"), ("2", "data"), ("8", "trailer"), ("9", "end")]
    assert LAYOUT.kind_by_code("8") is LAYOUT.kind("trailer")
    assert LAYOUT.kind_by_code("5") is None


@pytest.mark.parametrize(("kind", "name"), list(ALLOWED))
def test_allowed_values_are_those_of_the_specification(kind: str, name: str) -> None:
    assert LAYOUT.kind(kind).field(name).allowed == ALLOWED[(kind, name)]


def test_amounts_and_counts_are_numeric_and_identifiers_are_not() -> None:
    numeric = {(k.name, f.name) for k in LAYOUT.kinds for f in k.fields if f.numeric}
    assert numeric == {
        ("data", "amount"),
        ("trailer", "total_count"),
        ("trailer", "total_amount"),
        ("trailer", "transferred_count"),
        ("trailer", "transferred_amount"),
        ("trailer", "failed_count"),
        ("trailer", "failed_amount"),
    }


def test_dummy_fields_are_marked_dummy() -> None:
    dummies = {(k.name, f.name) for k in LAYOUT.kinds for f in k.fields if f.dummy}
    assert dummies == {
        ("header", "dummy"),
        ("data", "dummy_1"),
        ("data", "dummy_2"),
        ("trailer", "dummy"),
        ("end", "dummy"),
    }


def test_debit_date_is_an_mmdd_date_and_codes_are_looked_up_in_the_master() -> None:
    assert LAYOUT.kind("header").field("debit_date").date == "mmdd"
    for kind in ("header", "data"):
        assert LAYOUT.kind(kind).field("bank_code").lookup == "bank"
        assert LAYOUT.kind(kind).field("branch_code").lookup == "branch"


def test_record_order_allows_several_batches_and_empty_batches() -> None:
    assert set(LAYOUT.follows["header"]) == {"", "trailer"}
    assert set(LAYOUT.follows["data"]) == {"header", "data"}
    assert set(LAYOUT.follows["trailer"]) == {"header", "data"}
    assert set(LAYOUT.follows["end"]) == {"trailer"}


def test_field_end_and_slice_are_one_based_inclusive() -> None:
    f = LAYOUT.kind("data").field("amount")
    assert (f.start, f.end, f.slice) == (81, 90, slice(80, 90))


def test_built_records_put_every_value_at_its_specified_bytes() -> None:
    header, data, trailer, end = split(request_file(1))
    assert len(header) == len(data) == len(trailer) == len(end) == 120
    assert header[0:4] == b"1910"
    assert header[4:14] == b"1234567890"
    assert header[14:54] == "ﾃｽﾄｸ ｾﾞｲﾑｶ".encode("cp932").ljust(40)
    assert header[54:58] == b"0527"
    assert header[58:62] == b"0001" and header[77:80] == b"001"
    assert header[95:103] == b"11234567"
    assert header[103:] == b" " * 17
    assert data[0:5] == b"20001"
    assert data[20:23] == b"001"
    assert data[38:42] == b"    "
    assert data[42:50] == b"17654321"
    assert data[50:80] == "ﾔﾏﾀﾞ ﾀﾛｳ".encode("cp932").ljust(30)
    assert data[80:90] == b"0000001000"
    assert data[90:91] == b"0"
    assert data[91:111] == b"00000000000000000001"
    assert data[111:112] == b"0"
    assert data[112:] == b" " * 8
    assert trailer == b"8" + b"000001" + b"000000001000" + b"0" * 36 + b" " * 65
    assert end == b"9" + b" " * 119


def test_n_fields_are_zero_filled_and_c_fields_space_filled() -> None:
    kind = LAYOUT.kind("data")
    assert encode_field(kind.field("amount"), 42, ZENGIN_CHARS) == b"0000000042"
    assert encode_field(kind.field("customer_number"), "7", ZENGIN_CHARS) == b"0" * 19 + b"7"
    assert encode_field(kind.field("bank_name"), "ｱｲ", ZENGIN_CHARS) == "ｱｲ".encode("cp932") + b" " * 13


def test_encode_field_rejects_a_value_longer_than_the_field_naming_it() -> None:
    f = LAYOUT.kind("data").field("amount")
    with pytest.raises(FormatError) as exc:
        encode_field(f, 10**10, ZENGIN_CHARS, record=4)
    issue = exc.value.issues[0]
    assert (issue.record, issue.field, issue.start, issue.end) == (4, "amount", 81, 90)
    assert "more than 10 digits" in issue.message_en and "10 桁を超えています" in issue.message_ja


def test_encode_field_rejects_a_character_outside_the_set_naming_the_character() -> None:
    f = LAYOUT.kind("data").field("holder_name")
    with pytest.raises(FormatError) as exc:
        encode_field(f, "ﾔﾏﾀﾞ&", ZENGIN_CHARS, record=2)
    issue = exc.value.issues[0]
    assert (issue.record, issue.field) == (2, "holder_name")
    assert "character 5 '&'" in issue.message_en and "5文字目「&」" in issue.message_ja


def test_encode_record_writes_the_data_kind_of_its_kind() -> None:
    raw = encode_record(LAYOUT, LAYOUT.kind("data"), payer())
    assert raw[:1] == b"2" and len(raw) == 120


def test_the_layout_of_the_module_passes_its_own_check() -> None:
    LAYOUT.check()


def _kind(*fields: Field) -> RecordKind:
    return RecordKind("1", "header", "ヘッダー", fields)


def _layout(*fields: Field, length: int = 10) -> Layout:
    return Layout("t", "テスト", "test", length, (_kind(*fields),), {"header": ("",)})


def test_check_reports_overlapping_fields_with_their_positions() -> None:
    layout = _layout(Field("a", 1, 6, "N", "a"), Field("b", 5, 6, "N", "b"))
    with pytest.raises(FormatError) as exc:
        layout.check()
    overlap = [i for i in exc.value.issues if "overlaps" in i.message_en]
    assert [(i.field, i.start, i.end) for i in overlap] == [("header.b", 5, 10)]


def test_check_reports_a_gap_between_fields() -> None:
    with pytest.raises(FormatError) as exc:
        _layout(Field("a", 1, 4, "N", "a"), Field("b", 7, 4, "N", "b")).check()
    assert any("leaves bytes 5-6 undefined" in i.message_en for i in exc.value.issues)


def test_check_reports_fields_that_do_not_add_up_to_the_record_length() -> None:
    with pytest.raises(FormatError) as exc:
        _layout(Field("a", 1, 8, "N", "a"), length=10).check()
    assert [i.message_en for i in exc.value.issues] == ["header fields add up to 8 bytes, record length is 10"]


def test_check_reports_an_odd_full_width_field() -> None:
    with pytest.raises(FormatError) as exc:
        _layout(Field("a", 1, 7, "K", "a"), Field("b", 8, 3, "N", "b")).check()
    assert any("even length" in i.message_en for i in exc.value.issues)


def test_override_narrows_and_widens_the_charset() -> None:
    changed = override(LAYOUT, {"charset_remove": ",.", "charset_add": "&"})
    assert "," not in changed.charset and "." not in changed.charset and "&" in changed.charset
    assert "," in LAYOUT.charset  # the module's layout is untouched


def test_override_changes_one_field_attribute_and_keeps_the_others() -> None:
    changed = override(LAYOUT, {"records": {"header": {"fields": {"account_type": {"blank_ok": True}}}}})
    f = changed.kind("header").field("account_type")
    assert f.blank_ok and f.allowed == ("1", "2", "9") and (f.start, f.length) == (96, 1)


def test_override_can_split_a_dummy_into_a_new_field() -> None:
    changed = override(
        LAYOUT,
        {
            "records": {
                "data": {
                    "fields": {
                        "dummy_2": {"start": 115, "length": 6},
                        "ward_code": {"start": 113, "length": 2, "type": "N"},
                    }
                }
            }
        },
    )
    f = changed.kind("data").field("ward_code")
    assert (f.start, f.end, f.type, f.ja) == (113, 114, "N", "ward_code")


def test_override_drop_needs_a_known_field() -> None:
    with pytest.raises(FormatError, match="unknown field cannot be dropped"):
        override(LAYOUT, {"records": {"data": {"fields": {"nothing": {"drop": True}}}}})


def test_override_a_new_field_needs_start_length_and_type() -> None:
    with pytest.raises(FormatError, match="needs start, length and type"):
        override(LAYOUT, {"records": {"data": {"fields": {"ward_code": {"start": 113}}}}})


def test_override_rejects_unknown_settings_kinds_and_attributes() -> None:
    with pytest.raises(FormatError, match="unknown layout setting"):
        override(LAYOUT, {"colour": "red"})
    with pytest.raises(FormatError, match="unknown record kind 'footer'"):
        override(LAYOUT, {"records": {"footer": {}}})
    with pytest.raises(FormatError, match="unknown attribute"):
        override(LAYOUT, {"records": {"data": {"fields": {"amount": {"colour": "red"}}}}})


def test_override_rejects_separators_other_than_crlf_and_none() -> None:
    with pytest.raises(FormatError, match="separators"):
        override(LAYOUT, {"separators": ["lf"]})
    with pytest.raises(FormatError, match="separators"):
        override(LAYOUT, {"separators": []})


def test_override_result_is_checked_for_overlaps() -> None:
    with pytest.raises(FormatError) as exc:
        override(LAYOUT, {"records": {"data": {"fields": {"amount": {"start": 80}}}}})
    assert ("data.amount", 80) in [(i.field, i.start) for i in exc.value.issues]


def test_a_record_built_with_an_overridden_layout_uses_the_new_positions() -> None:
    changed = override(
        LAYOUT,
        {
            "records": {
                "data": {
                    "fields": {
                        "dummy_2": {"start": 115, "length": 6},
                        "ward_code": {"start": 113, "length": 2, "type": "N"},
                    }
                }
            }
        },
    )
    raw = encode_record(changed, changed.kind("data"), payer(ward_code="7"))
    assert raw[112:114] == b"07"
