"""The collection-data (収入済データ) formats: mpn-receipt, general-receipt (and its waste variant),
special-receipt and special-breakdown — round trips, a corpus of bad files, detection, conversion,
fuzzing and the wareki bank profile.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokin.cli import main
from kokin.formats import FORMATS, detect, items, kanji
from kokin.formats.charset import ZENGIN_CHARS
from kokin.formats.dates import fiscal_year_of
from kokin.formats.errors import FormatError, FormatIssue, Report
from kokin.formats.examples import HEADERS, RECORDS
from kokin.formats.kinds import general_receipt
from kokin.formats.layout import Field, Layout, RecordKind, override

NAMES = ["mpn-receipt", "general-receipt", "general-receipt-waste", "special-receipt", "special-breakdown"]
TYPE_CODES = {
    "mpn-receipt": "61",
    "general-receipt": "62",
    "general-receipt-waste": "62",
    "special-receipt": "63",
    "special-breakdown": "64",
}
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def module(name: str) -> ModuleType:
    return FORMATS[name]


def sample(name: str, *, n: int = 2, layout: Layout | None = None, **changes: Any) -> bytes:
    """A valid one-batch CR LF file: record 1 header, 2..n+1 data, n+2 trailer, n+3 end."""
    records = [{**RECORDS[name], "amount": RECORDS[name]["amount"] + i, **changes} for i in range(n)]
    fmt = module(name)
    return bytes(fmt.build([{"header": HEADERS[name], "records": records}], layout=layout or fmt.LAYOUT))


def put(raw: bytes, layout: Layout, record: int, kind: str, field: str, value: bytes | str) -> bytes:
    """A CR LF file with ``value`` written over ``field`` of record number ``record`` (1-based)."""
    f = layout.kind(kind).field(field)
    data = value.encode("cp932") if isinstance(value, str) else value
    assert len(data) == f.length, (field, len(data), f.length)
    offset = (record - 1) * (layout.record_length + 2) + f.start - 1
    return raw[:offset] + data + raw[offset + f.length :]


def errors_at(report: Report, record: int, field: str) -> list[FormatIssue]:
    return [i for i in report.errors if i.record == record and i.field == field]


def one_error(report: Report, record: int, field: str) -> FormatIssue:
    found = errors_at(report, record, field)
    assert len(found) == 1, [str(i) for i in report.errors]
    return found[0]


# --- the layouts -----------------------------------------------------------------------------------


def test_formats_are_registered_after_zengin_debit() -> None:
    assert next(iter(FORMATS)) == "zengin-debit"
    assert set(NAMES) <= set(FORMATS)


@pytest.mark.parametrize("name", NAMES)
def test_each_module_has_the_face_of_a_format_module(name: str) -> None:
    fmt = module(name)
    assert fmt.NAME == name == fmt.LAYOUT.name
    for attribute in ("parse", "validate", "iter_records", "looks_like", "build", "summary"):
        assert callable(getattr(fmt, attribute)), attribute
    fmt.LAYOUT.check()


@pytest.mark.parametrize("name", NAMES)
def test_type_code_and_record_length(name: str) -> None:
    layout = module(name).LAYOUT
    assert layout.kind("header").field("type_code").allowed == (TYPE_CODES[name],)
    assert layout.record_length == (400 if name == "special-breakdown" else 200)
    assert layout.extra["amount_field"] == "amount"
    assert [k.code for k in layout.kinds] == ["1", "2", "8", "9"]


@pytest.mark.parametrize("name", NAMES)
def test_header_data_and_trailer_end_with_a_dummy(name: str) -> None:
    layout = module(name).LAYOUT
    for kind in layout.kinds:
        assert kind.fields[-1].dummy, kind.name


@pytest.mark.parametrize("name", NAMES)
def test_build_fills_constants_and_sequence_numbers(name: str) -> None:
    batch = module(name).parse(sample(name, n=3)).batches()[0]
    assert batch["header"]["type_code"] == TYPE_CODES[name]
    assert batch["header"]["code_division"] == "0"
    assert [r["sequence_number"] for r in batch["records"]] == [1, 2, 3]


@pytest.mark.parametrize("name", NAMES)
def test_build_takes_fixed_values_from_the_layout_a_profile_gives(name: str) -> None:
    fmt = module(name)
    layout = override(fmt.LAYOUT, {"records": {"header": {"fields": {"type_code": {"allowed": ["71"]}}}}})
    raw = fmt.build([{"header": HEADERS[name], "records": [RECORDS[name]]}], layout=layout)
    assert raw[1:3] == b"71"
    assert fmt.validate(raw, layout=layout).ok
    assert errors_at(fmt.validate(raw), 1, "type_code")


def test_full_width_names_may_be_blank() -> None:
    name = "special-breakdown"
    blank = {f.name: "" for f in module(name).LAYOUT.kind("data").fields if f.type == "K" and f.name.endswith("_name")}
    raw = module(name).build([{"header": HEADERS[name], "records": [{**RECORDS[name], **blank}]}])
    parsed = module(name).parse(raw)
    assert parsed.report.ok
    assert all(parsed.batches()[0]["records"][0][k] == "" for k in blank)


def test_waste_variant_is_the_general_layout_with_fields_in_its_reserve_area() -> None:
    general, waste = general_receipt.LAYOUT, general_receipt.WASTE_LAYOUT
    reserve = general.kind("data").field("dummy")
    added = {"collected_amount", "commission_amount", "payer_name"}
    for f in waste.kind("data").fields:
        if f.name in added:
            assert reserve.start <= f.start and f.end <= reserve.end
        elif not f.dummy:
            same = general.kind("data").field(f.name)
            assert (f.start, f.length, f.type) == (same.start, same.length, same.type)
    assert waste.kind("header").field("variant").allowed == ("1",)
    assert general.kind("header").field("variant").allowed == ("0",)
    assert waste.kind("data").field("item_code").allowed == ("31",)
    assert waste.kind("data").field("payer_name").type == "C"


def test_special_breakdown_names_and_addresses_are_full_width() -> None:
    data = module("special-breakdown").LAYOUT.kind("data")
    wide = {f.name for f in data.fields if f.type == "K"}
    assert {"agent_bank_name", "aggregating_branch_name", "handling_branch_name", "employer_name", "address"} <= wide
    assert all(data.field(n).length % 2 == 0 for n in wide)
    assert data.field("address").length >= 80


@pytest.mark.parametrize("name", NAMES)
def test_item_codes_come_from_the_revenue_items(name: str) -> None:
    allowed = module(name).LAYOUT.kind("data").field("item_code").allowed
    assert allowed and set(allowed) <= set(items.ITEMS)


# --- round trip --------------------------------------------------------------------------------------

BANKS = ("0001", "0005", "0009", "9900")
_TODAY = dt.date.today()
#: full-width strings for K fields: kanji, kana (with voiced and small kana), full-width letters and digits
KANJI_POOL = (
    "山田", "太郎", "佐々木", "高橋", "東京都", "デモ区", "中央町", "一丁目", "２番", "３号",
    "株式会社", "建設", "ヴァイオリン", "がっこう", "ＡＢＣ", "１２３", "－", "（株）", "　", "ー", "々", "〒",
)  # fmt: skip

#: every JIS X 0208 character but the full-width space, as cp932 writes it
JIS_X_0208 = tuple(
    bytes([pair >> 8, pair & 0xFF]).decode("cp932")
    for pair in np.flatnonzero(kanji.VALID_PAIRS)
    if pair not in (0x2020, 0x8140)
)


def expected(f: Field, value: Any) -> Any:
    """What parsing gives back for ``value`` written into ``f``."""
    if f.numeric:
        return int(value)
    if f.type == "N":
        return str(value).zfill(f.length)
    return str(value).rstrip(" 　")


def _fit(f: Field) -> Any:
    def fit(parts: list[str]) -> str:
        text = ""
        for part in parts:
            if len((text + part).encode("cp932")) > f.length:
                break
            text += part
        return text

    return fit


def value_strategy(f: Field) -> st.SearchStrategy[Any]:
    if f.allowed is not None:
        return st.sampled_from(f.allowed)
    if f.date == "yyyymmdd":
        return st.dates(dt.date(1990, 1, 1), _TODAY).map(lambda d: d.strftime("%Y%m%d"))
    if f.date == "fiscal_year":
        return st.integers(1989, fiscal_year_of(_TODAY) + 1).map(str)
    if f.lookup == "bank":
        return st.sampled_from(BANKS)
    if f.lookup == "branch":
        return st.just("001")
    if f.type == "N" and f.numeric:
        return st.integers(0, 10 ** min(f.length, 10) - 1)
    if f.type == "N":
        return st.text("0123456789", min_size=1, max_size=f.length)
    if f.type == "C":
        return st.text(sorted(ZENGIN_CHARS), max_size=f.length).map(lambda s: s.rstrip(" "))
    return st.lists(st.sampled_from(KANJI_POOL) | st.sampled_from(JIS_X_0208), max_size=f.length // 2).map(_fit(f))


@st.composite
def record_values(draw: st.DrawFn, kind: RecordKind) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in kind.fields:
        if f.dummy or f.name == "data_kind":
            continue
        values[f.name] = draw(value_strategy(f))
    for f in kind.fields:
        if f.ranges is not None and f.range_key is not None:
            first, last = f.ranges[values[f.range_key]]
            values[f.name] = f"{draw(st.integers(first, last)):02d}"
    if "code_division" in values:
        values["code_division"] = "0"  # EBCDIC has its own test
    return values


@st.composite
def files(draw: st.DrawFn, layout: Layout) -> list[dict[str, Any]]:
    header, data = layout.kind("header"), layout.kind("data")
    return [
        {"header": draw(record_values(header)), "records": draw(st.lists(record_values(data), max_size=3))}
        for _ in range(draw(st.integers(1, 2)))
    ]


def _decoded(kind: RecordKind, values: dict[str, Any]) -> dict[str, Any]:
    return {f.name: expected(f, values[f.name]) for f in kind.fields if f.name in values}


@pytest.mark.parametrize("name", NAMES)
def test_build_then_parse_is_identity(name: str) -> None:
    fmt = module(name)
    layout: Layout = fmt.LAYOUT
    header, data = layout.kind("header"), layout.kind("data")

    @FAST
    @given(files(layout))
    def check(batches: list[dict[str, Any]]) -> None:
        raw = fmt.build(batches)
        parsed = fmt.parse(raw)
        assert parsed.report.ok, [str(i) for i in parsed.report.errors]
        walked = [r for r in fmt.iter_records(raw) if r["record_kind"] == "data"]
        got = parsed.batches()
        assert len(got) == len(batches)
        for sent, back in zip(batches, got, strict=True):
            assert {k: back["header"][k] for k in sent["header"]} == _decoded(header, sent["header"])
            assert len(back["records"]) == len(sent["records"])
            for rec, out in zip(sent["records"], back["records"], strict=True):
                assert {k: out[k] for k in rec} == _decoded(data, rec)
            trailer = back["trailer"]
            assert trailer["total_count"] == len(sent["records"])
            assert trailer["total_amount"] == sum(r["amount"] for r in sent["records"])
        flat = [rec for b in batches for rec in b["records"]]
        assert [{k: w[k] for k in rec} for rec, w in zip(flat, walked, strict=True)] == [
            _decoded(data, rec) for rec in flat
        ]

    check()


@pytest.mark.parametrize("name", ["mpn-receipt", "general-receipt-waste", "special-receipt"])
def test_code_division_1_builds_and_reads_ebcdic(name: str) -> None:
    fmt = module(name)
    raw = fmt.build([{"header": {**HEADERS[name], "code_division": "1"}, "records": [RECORDS[name]]}])
    assert raw[:1] == "1".encode("cp290")
    parsed = fmt.parse(raw)
    assert parsed.report.ok and parsed.ebcdic
    assert parsed.batches()[0]["records"][0]["amount"] == RECORDS[name]["amount"]


def test_special_breakdown_refuses_ebcdic_code_division() -> None:
    name = "special-breakdown"
    raw = sample(name)
    bad = put(raw, module(name).LAYOUT, 1, "header", "code_division", "1")
    issues = errors_at(module(name).validate(bad), 1, "code_division")
    assert "code_division '1' is not allowed (allowed: 0)" in [i.message_en for i in issues]


# --- a corpus of bad files -------------------------------------------------------------------------

#: (科目コード, a 期別 outside its range, the range as the message words it)
BAD_INSTALMENT = {
    "mpn-receipt": ("03", "02", "1-1"),
    "general-receipt": ("03", "02", "1-1"),
    "general-receipt-waste": ("31", "02", "1-1"),
    "special-receipt": ("02", "13", "1-12"),
    "special-breakdown": ("02", "13", "1-12"),
}


@pytest.mark.parametrize("name", NAMES)
def test_the_sample_file_is_valid(name: str) -> None:
    report = module(name).validate(sample(name))
    assert report.ok and not report.warnings, [str(i) for i in report.errors + report.warnings]


@pytest.mark.parametrize("name", NAMES)
def test_wrong_instalment_for_the_item_names_the_range(name: str) -> None:
    item, bad, span = BAD_INSTALMENT[name]
    layout = module(name).LAYOUT
    raw = put(sample(name, item_code=item, instalment="01"), layout, 3, "data", "instalment", bad)
    issue = one_error(module(name).validate(raw), 3, "instalment")
    assert issue.message_en == f"instalment {int(bad)} is outside {span} allowed for item_code '{item}'"
    assert span.replace("-", "～") in issue.message_ja


@pytest.mark.parametrize("name", NAMES)
def test_impossible_payment_date_is_named(name: str) -> None:
    layout = module(name).LAYOUT
    raw = put(sample(name), layout, 2, "data", "payment_date", "20250230")
    issue = one_error(module(name).validate(raw), 2, "payment_date")
    assert issue.message_en == "payment_date '20250230' is not a real date (YYYYMMDD)"
    assert (issue.start, issue.end) == (layout.kind("data").field("payment_date").start, issue.start + 7)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("year", ["1988", str(fiscal_year_of(_TODAY) + 2)])
def test_fiscal_year_out_of_range_is_named(name: str, year: str) -> None:
    raw = put(sample(name), module(name).LAYOUT, 3, "data", "assessment_year", year)
    issue = one_error(module(name).validate(raw), 3, "assessment_year")
    assert issue.message_en == f"assessment_year '{year}' is not a real fiscal year (YYYY)"


@pytest.mark.parametrize("name", NAMES)
def test_non_digit_in_an_amount_is_named(name: str) -> None:
    layout = module(name).LAYOUT
    f = layout.kind("data").field("amount")
    raw = put(sample(name), layout, 2, "data", "amount", "0000A00000")
    report = module(name).validate(raw)
    issue = one_error(report, 2, "amount")
    assert issue.message_en == f'amount byte {f.start + 4} "A" (0x41) is not a digit'
    assert "数字ではありません" in issue.message_ja


@pytest.mark.parametrize("name", NAMES)
def test_trailer_total_mismatch_names_record_and_field(name: str) -> None:
    layout = module(name).LAYOUT
    raw = sample(name)
    total = sum(RECORDS[name]["amount"] + i for i in range(2))
    raw = put(raw, layout, 4, "trailer", "total_amount", f"{total + 1:012d}")
    report = module(name).validate(raw)
    issue = one_error(report, 4, "total_amount")
    assert issue.message_en == f"total_amount {total + 1:,} does not match {total:,} computed from the data records"
    assert len(report.errors) == 1


@pytest.mark.parametrize("name", ["general-receipt", "special-receipt", "special-breakdown"])
def test_other_trailer_sums_are_checked(name: str) -> None:
    layout = module(name).LAYOUT
    field = "total_late_charge"
    raw = put(sample(name), layout, 4, "trailer", field, "9" * 12)
    assert one_error(module(name).validate(raw), 4, field).code == "total"


def test_waste_trailer_sums_collected_and_commission_amounts() -> None:
    name = "general-receipt-waste"
    batch = module(name).parse(sample(name, n=3)).batches()[0]
    assert batch["trailer"]["total_collected_amount"] == 3 * 2000
    assert batch["trailer"]["total_commission_amount"] == 3 * 200
    raw = put(sample(name), module(name).LAYOUT, 4, "trailer", "total_commission_amount", f"{1:012d}")
    assert one_error(module(name).validate(raw), 4, "total_commission_amount").code == "total"


@pytest.mark.parametrize("name", NAMES)
def test_unknown_item_code_is_named(name: str) -> None:
    raw = put(sample(name), module(name).LAYOUT, 2, "data", "item_code", "99")
    issue = one_error(module(name).validate(raw), 2, "item_code")
    assert issue.message_en.startswith("item_code '99' is not allowed (allowed: ")


def test_waste_fee_item_is_not_general_and_general_items_are_not_waste() -> None:
    general = put(sample("general-receipt"), general_receipt.LAYOUT, 2, "data", "item_code", "31")
    assert errors_at(general_receipt.validate(general), 2, "item_code")
    waste = put(sample("general-receipt-waste"), general_receipt.WASTE_LAYOUT, 2, "data", "item_code", "11")
    assert errors_at(general_receipt.waste.validate(waste), 2, "item_code")


@pytest.mark.parametrize("name", NAMES)
def test_unknown_bank_code_is_a_warning_only(name: str) -> None:
    raw = put(sample(name), module(name).LAYOUT, 2, "data", "collecting_bank_code", "9998")
    report = module(name).validate(raw)
    assert report.ok
    warning = next(w for w in report.warnings if w.field == "collecting_bank_code")
    assert warning.record == 2 and warning.severity == "warning"
    assert warning.message_en.startswith("bank code 9998 is not in the bank master")


def test_unknown_agent_bank_is_a_warning_and_its_branches_are_not_blamed() -> None:
    name = "special-breakdown"
    raw = put(sample(name), module(name).LAYOUT, 3, "data", "agent_bank_code", "9998")
    report = module(name).validate(raw)
    assert report.ok
    assert [(w.record, w.field) for w in report.warnings] == [(3, "agent_bank_code")]


@pytest.mark.parametrize("name", ["mpn-receipt", "general-receipt", "special-receipt"])
def test_small_kana_in_a_name_field_is_not_zengin(name: str) -> None:
    layout = module(name).LAYOUT
    f = next(f for f in layout.kind("header").fields if f.type == "C" and not f.dummy)
    raw = put(sample(name), layout, 1, "header", f.name, "ｷｬ".encode("cp932").ljust(f.length))
    issue = one_error(module(name).validate(raw), 1, f.name)
    assert "is not in the Zengin character set" in issue.message_en


# full-width (K) fields: special-breakdown

BREAKDOWN = FORMATS["special-breakdown"]
WIDE = [f.name for f in BREAKDOWN.LAYOUT.kind("data").fields if f.type == "K"]


@pytest.mark.parametrize("field", WIDE)
def test_half_width_kana_in_a_full_width_field(field: str) -> None:
    layout = BREAKDOWN.LAYOUT
    f = layout.kind("data").field(field)
    raw = put(sample("special-breakdown"), layout, 2, "data", field, "ﾔﾏﾀﾞ".encode("cp932").ljust(f.length))
    issue = one_error(BREAKDOWN.validate(raw), 2, field)
    assert issue.message_en == f"{field}: byte 1: half-width kana 'ﾔ' in a full-width field"
    assert "半角カナ" in issue.message_ja


@pytest.mark.parametrize("field", WIDE)
def test_a_character_split_at_the_field_boundary(field: str) -> None:
    """The writer shifted the text by one byte: the last character's trail byte spills into the next field."""
    layout = BREAKDOWN.LAYOUT
    f = layout.kind("data").field(field)
    text = ("東京都" * 40).encode("cp932")
    raw = put(sample("special-breakdown"), layout, 2, "data", field, b" " + text[: f.length - 1])
    assert raw[(layout.record_length + 2) + f.end - 1] in range(0x81, 0xA0)  # a lead byte ends the field
    issue = one_error(BREAKDOWN.validate(raw), 2, field)
    assert issue.message_en == f"{field}: byte {f.length}: a double-byte character is split at the field boundary"
    assert "分断" in issue.message_ja


def test_a_lone_lead_byte_at_the_end_of_a_padded_field_is_a_split() -> None:
    layout = BREAKDOWN.LAYOUT
    f = layout.kind("data").field("employer_name")
    raw = put(sample("special-breakdown"), layout, 3, "data", "employer_name", b" " * (f.length - 1) + b"\x93")
    issue = one_error(BREAKDOWN.validate(raw), 3, "employer_name")
    assert "split at the field boundary" in issue.message_en


@pytest.mark.parametrize("code", [b"\xfb\xfc", b"\xee\xe0"])
@pytest.mark.parametrize("field", ["employer_name", "address"])
def test_machine_dependent_kanji_offers_the_substitute(code: bytes, field: str) -> None:
    layout = BREAKDOWN.LAYOUT
    f = layout.kind("data").field(field)
    value = code + "橋".encode("cp932")
    raw = put(sample("special-breakdown"), layout, 2, "data", field, value + b"\x81\x40" * ((f.length - 4) // 2))
    issue = one_error(BREAKDOWN.validate(raw), 2, field)
    assert issue.message_en == f"{field}: byte 1: '髙' is a machine-dependent character; use '高' instead"
    assert "「高」に置き換えてください" in issue.message_ja


def test_build_refuses_a_machine_dependent_character_naming_record_and_field() -> None:
    record = {**RECORDS["special-breakdown"], "employer_name": "株式会社髙橋建設"}
    with pytest.raises(FormatError) as exc:
        BREAKDOWN.build([{"header": HEADERS["special-breakdown"], "records": [record]}])
    issue = exc.value.issues[0]
    assert (issue.record, issue.field) == (2, "employer_name")
    assert "'高'" in issue.message_en


def test_build_widens_half_width_text_in_full_width_fields() -> None:
    record = {**RECORDS["special-breakdown"], "address": "ﾃﾞﾓｸ 1-2-3"}
    raw = BREAKDOWN.build([{"header": HEADERS["special-breakdown"], "records": [record]}])
    assert BREAKDOWN.parse(raw).batches()[0]["records"][0]["address"] == "デモク　１－２－３"


# --- detection, inspect and convert ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_detect_tells_each_kind_and_says_why(name: str) -> None:
    raw = sample(name)
    found, reason = detect(raw[:4096])
    assert found == name
    assert f"type_code={TYPE_CODES[name]}" in reason
    assert f"{module(name).LAYOUT.record_length}" in reason
    if name.startswith("general-receipt"):
        assert f"variant={'1' if name.endswith('waste') else '0'}" in reason
    for other in NAMES:
        assert module(other).looks_like(raw[:4096])[0] == (other == name)


@pytest.mark.parametrize("name", NAMES)
def test_detect_works_without_separators(name: str) -> None:
    fmt = module(name)
    raw = fmt.build([{"header": HEADERS[name], "records": [RECORDS[name]]}], separator="none")
    assert detect(raw)[0] == name
    assert fmt.validate(raw).ok


@pytest.mark.parametrize("name", NAMES)
def test_kokin_inspect_detects_each_kind(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.dat"
    path.write_bytes(sample(name, n=3))
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert f"形式 format: {name}" in result.output
    assert f"type_code={TYPE_CODES[name]}" in result.output
    result = CliRunner().invoke(main, ["inspect", str(path), "--json"])
    summary = json.loads(result.stdout)
    total = sum(RECORDS[name]["amount"] + i for i in range(3))
    assert (summary["format"], summary["data_records"], summary["total_amount"]) == (name, 3, total)
    for key in module(name).LAYOUT.extra["summary_by"]:
        assert sum(v["count"] for v in summary[f"by_{key}"].values()) == 3


def test_kokin_inspect_cannot_tell_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.dat"
    path.write_bytes(b"1" + b"x" * 300 + b"\r\n")
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 1
    assert "cannot tell the format" in result.output


@pytest.mark.parametrize("name", NAMES)
def test_convert_to_json_keeps_identifiers_as_strings_and_money_as_ints(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.dat"
    path.write_bytes(sample(name))
    result = CliRunner().invoke(main, ["convert", str(path), "--format", name, "--to", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == name
    [batch] = doc["batches"]
    assert set(batch) == {"header", "records", "trailer"}
    header, records, trailer = batch["header"], batch["records"], batch["trailer"]
    assert header["type_code"] == TYPE_CODES[name] and header["bank_code"] == "0001"
    assert len(records) == 2
    first = records[0]
    assert first["item_code"] == RECORDS[name].get("item_code", "02")
    assert first["collecting_bank_code"] == "0005"
    assert first["assessment_year"] == "2026" and isinstance(first["instalment"], str)
    assert first["amount"] == RECORDS[name]["amount"] and isinstance(first["amount"], int)
    assert first["sequence_number"] == 1
    assert trailer["total_count"] == 2 and isinstance(trailer["total_amount"], int)
    money = [f.name for f in module(name).LAYOUT.kind("data").fields if f.numeric]
    assert all(isinstance(first[m], int) for m in money)
    if name == "special-breakdown":
        assert first["employer_name"] == "株式会社山田建設" and first["postal_code"] == "1520001"


# --- fuzzing -----------------------------------------------------------------------------------------


def survives(fmt: ModuleType, raw: bytes) -> None:
    """parse, validate and iter_records either work or raise FormatError — nothing else."""
    for call in (fmt.parse, fmt.validate):
        try:
            result = call(raw)
        except FormatError:
            continue
        report = result if isinstance(result, Report) else result.report
        assert isinstance(report, Report)
    try:
        for _ in fmt.iter_records(raw):
            pass
    except FormatError:
        pass
    fmt.looks_like(raw[:4096])


@pytest.mark.parametrize("name", NAMES)
def test_random_bytes_raise_format_error_or_give_a_report(name: str) -> None:
    fmt = module(name)
    length = fmt.LAYOUT.record_length

    @FAST
    @given(
        st.one_of(
            st.binary(max_size=3 * length),
            st.lists(st.binary(min_size=length, max_size=length), max_size=4).map(b"\r\n".join),
            st.lists(st.sampled_from(b"1289 0A\x81\x40\x93\xfb\xfc\r\n"), max_size=2 * length).map(bytes),
        )
    )
    def check(raw: bytes) -> None:
        survives(fmt, raw)

    check()


@pytest.mark.parametrize("name", NAMES)
def test_mutated_valid_files_raise_format_error_or_give_a_report(name: str) -> None:
    fmt = module(name)
    raw = sample(name, n=3)

    @FAST
    @given(
        st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), min_size=1, max_size=8),
        st.integers(0, len(raw)),
        st.integers(0, 3),
    )
    def check(changes: list[tuple[int, int]], cut: int, drop: int) -> None:
        data = bytearray(raw)
        for position, byte in changes:
            data[position] = byte
        mutated = bytes(data[:cut] + data[cut + drop :])
        survives(fmt, mutated)

    check()


# --- bank profile: 和暦 -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_wareki_override_shrinks_dates_into_the_trailing_dummy(name: str) -> None:
    layout = module(name).LAYOUT
    wareki = override(layout, {"date_style": "wareki"})
    wareki.check()
    data = wareki.kind("data")
    assert (data.field("payment_date").length, data.field("payment_date").date) == (7, "wareki")
    assert (data.field("assessment_year").length, data.field("assessment_year").date) == (3, "wareki_year")
    assert data.fields[-1].length == layout.kind("data").fields[-1].length + 2
    assert wareki.kind("header").field("creation_date").length == 7


@pytest.mark.parametrize("name", NAMES)
def test_a_wareki_file_validates_with_its_profile_and_fails_with_the_default(name: str) -> None:
    fmt = module(name)
    wareki = override(fmt.LAYOUT, {"date_style": "wareki"})
    header = {**HEADERS[name], "creation_date": "5080527"}
    record = {**RECORDS[name], "assessment_year": "508", "payment_date": "5080525"}
    raw = fmt.build([{"header": header, "records": [record]}], layout=wareki)
    parsed = fmt.parse(raw, layout=wareki)
    assert parsed.report.ok, [str(i) for i in parsed.report.errors]
    assert parsed.batches()[0]["records"][0]["payment_date"] == "5080525"
    default = fmt.validate(raw)
    assert not default.ok
    assert {"creation_date", "assessment_year"} <= {i.field for i in default.errors}


@pytest.mark.parametrize("name", NAMES)
def test_wareki_profile_file_is_used_by_kokin_validate(name: str, tmp_path: Path) -> None:
    fmt = module(name)
    wareki = override(fmt.LAYOUT, {"date_style": "wareki"})
    header = {**HEADERS[name], "creation_date": "5080527"}
    record = {**RECORDS[name], "assessment_year": "508", "payment_date": "5080525"}
    path = tmp_path / "wareki.dat"
    path.write_bytes(fmt.build([{"header": header, "records": [record]}], layout=wareki))
    profile = tmp_path / "bank.toml"
    profile.write_text(f'[bank]\ncode = "0001"\n\n[formats.{name}]\ndate_style = "wareki"\n', encoding="utf-8")
    ok = CliRunner().invoke(main, ["validate", str(path), "--format", name, "--profile", str(profile)])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(main, ["validate", str(path), "--format", name])
    assert bad.exit_code == 1


def test_kanji_pool_is_jis_x_0208() -> None:
    for text in KANJI_POOL:
        assert kanji.to_field_text(text) == text
        assert not kanji.bad_rows(np.frombuffer(text.encode("cp932"), dtype=np.uint8)[None, :]).any()
