"""The Zengin 91 module's face: build, parse, validate, iter_records, summary and format detection."""

from __future__ import annotations

import io

import pytest

from kokin.formats import detect
from kokin.formats.engine import run
from kokin.formats.errors import FormatError, FormatIssue
from kokin.formats.framing import EBCDIC_TO_CP932
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, batch, join, mutate, only_error, payer, put, request_file, split, where

# --- build ---------------------------------------------------------------------------------------


def test_build_writes_header_data_trailer_end_with_crlf() -> None:
    raw = request_file(2)
    assert len(raw) == 5 * 122
    assert [r[:1] for r in split(raw)] == [b"1", b"2", b"2", b"8", b"9"]


def test_build_computes_request_trailer_totals_and_leaves_result_totals_zero() -> None:
    trailer = split(zengin_debit.build([batch(3)]))[4]
    assert trailer[1:7] == b"000003"
    assert trailer[7:19] == b"%012d" % (1000 + 1001 + 1002)
    assert trailer[19:55] == b"0" * 36


def test_build_ignores_a_given_trailer() -> None:
    wrong = {**batch(1), "trailer": {"total_count": 99, "total_amount": 5}}
    assert zengin_debit.build([wrong]) == zengin_debit.build([batch(1)])


def test_build_result_file_counts_transferred_and_failed_by_result_code() -> None:
    records = [
        payer(0, result_code="0"),
        payer(1, result_code="1"),
        payer(2, result_code="0"),
        payer(3, result_code="9"),
    ]
    raw = zengin_debit.build([{"header": HEADER, "records": records}], result=True)
    parsed = zengin_debit.parse(raw)
    assert parsed.report.ok and parsed.mode == "result"
    trailer = parsed.batches()[0]["trailer"]
    assert trailer == {
        "data_kind": "8",
        "total_count": 4,
        "total_amount": 4006,
        "transferred_count": 2,
        "transferred_amount": 1000 + 1002,
        "failed_count": 2,
        "failed_amount": 1001 + 1003,
        "record_number": 6,
    }


def test_build_refuses_a_result_code_in_a_request_naming_record_and_field() -> None:
    with pytest.raises(FormatError) as exc:
        zengin_debit.build([{"header": HEADER, "records": [payer(0), payer(1, result_code="1")]}])
    issue = exc.value.issues[0]
    assert (issue.record, issue.field, issue.start) == (3, "result_code", 112)
    assert "result_code 0" in issue.message_en and "振替結果コード" in issue.message_ja


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ ｻﾏ ﾉ ﾅｶﾞｲ ﾅﾏｴ ｦ ｶｲﾃﾐﾙ ﾃｽﾄ ﾃﾞｽ"}, "holder_name", "longer than 30"),
        ({"holder_name": "yamada"}, "holder_name", "character 1 'y'"),
        ({"holder_name": "ﾔﾏﾀﾞ　ﾀﾛｳ"}, "holder_name", "character 5 '\u3000'"),
        ({"account_number": "12345678"}, "account_number", "more than 7 digits"),
        ({"amount": "12,000"}, "amount", "not a number"),
        ({"bank_code": None}, "bank_code", "a value is required"),
    ],
)
def test_build_refuses_a_value_that_does_not_fit_naming_record_and_field(
    changes: dict[str, object], field: str, words: str
) -> None:
    records = [payer(0), payer(1), payer(2, **changes)]
    with pytest.raises(FormatError) as exc:
        zengin_debit.build([{"header": HEADER, "records": records}])
    issue = exc.value.issues[0]
    assert (issue.record, issue.field) == (4, field)
    assert words in issue.message_en


def test_build_writes_several_batches_and_zero_record_batches() -> None:
    raw = zengin_debit.build([batch(2), batch(0), batch(1)])
    assert [r[:1] for r in split(raw)] == [b"1", b"2", b"2", b"8", b"1", b"8", b"1", b"2", b"8", b"9"]
    assert zengin_debit.validate(raw).ok


def test_build_with_code_division_1_writes_ebcdic() -> None:
    raw = zengin_debit.build([batch(1, header={**HEADER, "code_division": "1"})])
    assert raw[:4] == b"\xf1\xf9\xf1\xf1"
    assert raw.translate(EBCDIC_TO_CP932)[:4] == b"1911"


# --- parse ---------------------------------------------------------------------------------------


def test_parse_returns_batches_with_identifiers_as_strings_and_amounts_as_ints() -> None:
    parsed = zengin_debit.parse(request_file(1))
    assert parsed.report.ok and parsed.mode == "request" and parsed.records == 4 and not parsed.ebcdic
    [only] = parsed.batches()
    assert only["header"] == {
        "data_kind": "1",
        "type_code": "91",
        "code_division": "0",
        "consignor_code": "1234567890",
        "consignor_name": "ﾃｽﾄｸ ｾﾞｲﾑｶ",
        "debit_date": "0527",
        "bank_code": "0001",
        "bank_name": "ﾐｽﾞﾎ",
        "branch_code": "001",
        "branch_name": "ﾄｳｷﾖｳ",
        "account_type": "1",
        "account_number": "1234567",
        "record_number": 1,
    }
    assert only["records"] == [
        {
            "data_kind": "2",
            "bank_code": "0001",
            "bank_name": "ﾐｽﾞﾎ",
            "branch_code": "001",
            "branch_name": "ﾄｳｷﾖｳ",
            "account_type": "1",
            "account_number": "7654321",
            "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ",
            "amount": 1000,
            "new_code": "0",
            "customer_number": "00000000000000000001",
            "result_code": "0",
            "record_number": 2,
        }
    ]
    assert only["trailer"]["total_count"] == 1 and only["trailer"]["record_number"] == 3


def test_parse_keeps_leading_zeros_and_strips_only_trailing_spaces() -> None:
    raw = zengin_debit.build([{"header": HEADER, "records": [payer(0, holder_name=" ｱ ｲ", bank_code="0009")]}])
    record = zengin_debit.parse(raw).batches()[0]["records"][0]
    assert record["holder_name"] == " ｱ ｲ"
    assert record["bank_code"] == "0009"
    assert record["customer_number"] == "0" * 19 + "1"


def test_parse_assigns_records_to_their_batches() -> None:
    raw = zengin_debit.build([batch(2), batch(0), batch(3)])
    batches = zengin_debit.parse(raw).batches()
    assert [len(b["records"]) for b in batches] == [2, 0, 3]
    assert [b["header"]["record_number"] for b in batches] == [1, 5, 7]
    assert [b["trailer"]["total_count"] for b in batches] == [2, 0, 3]
    assert [r["record_number"] for r in batches[2]["records"]] == [8, 9, 10]


def test_parse_accepts_a_path_a_stream_and_bytes(write_file) -> None:  # type: ignore[no-untyped-def]
    raw = request_file(2)
    path = write_file(raw)
    expected = zengin_debit.parse(raw).batches()
    assert zengin_debit.parse(path).batches() == expected
    assert zengin_debit.parse(str(path)).batches() == expected
    assert zengin_debit.parse(io.BytesIO(raw)).batches() == expected


def test_build_of_parsed_batches_gives_back_the_same_bytes() -> None:
    raw = zengin_debit.build([batch(2), batch(0), batch(1)])
    assert zengin_debit.build(zengin_debit.parse(raw).batches()) == raw


# --- mode: request or result -----------------------------------------------------------------------


def test_request_trailer_with_transferred_totals_is_an_error_in_request_mode() -> None:
    raw = mutate(request_file(2), 4, 20, b"000001")
    report = zengin_debit.validate(raw, mode="request")
    error = only_error(report)
    assert (error.record, error.field, error.start, error.end) == (4, "transferred_count", 20, 25)
    assert "must be zero in a request file (is 1)" in error.message_en
    assert "請求データの振替済件数は 0" in error.message_ja


def test_request_trailer_with_failed_amount_is_an_error_in_request_mode() -> None:
    raw = mutate(request_file(2), 4, 44, b"000000000500")
    error = only_error(zengin_debit.validate(raw, mode="request"))
    assert (error.record, error.field) == (4, "failed_amount")
    assert "(is 500)" in error.message_en


def test_result_code_in_a_data_record_makes_the_file_a_result() -> None:
    raw = zengin_debit.build([batch(2, result_code="1")], result=True)
    assert zengin_debit.parse(raw).mode == "result"
    assert zengin_debit.parse(request_file(2)).mode == "request"


def test_result_trailer_transferred_and_failed_must_match_the_result_codes() -> None:
    records = [payer(0, result_code="0"), payer(1, result_code="2")]
    raw = zengin_debit.build([{"header": HEADER, "records": records}], result=True)
    raw = mutate(raw, 4, 20, b"000002")  # transferred_count 2, but one record has code 0
    raw = mutate(raw, 4, 44, b"000000000000")  # failed_amount 0, but record 3 (1001 yen) failed
    report = zengin_debit.validate(raw)
    assert where(report) == [(4, "failed_amount"), (4, "transferred_count")]
    by_field = {i.field: i for i in report.errors}
    assert (
        "transferred_count 2 does not match 1 computed from the data records"
        in by_field["transferred_count"].message_en
    )
    assert "振替済件数 2 がデータレコードから求めた 1 と一致しません" in by_field["transferred_count"].message_ja
    assert "failed_amount 0 does not match 1,001" in by_field["failed_amount"].message_en
    assert (by_field["failed_amount"].start, by_field["failed_amount"].end) == (44, 55)


def test_request_read_as_result_fails_the_transferred_totals() -> None:
    report = zengin_debit.validate(request_file(2), mode="result")
    assert where(report) == [(4, "transferred_amount"), (4, "transferred_count")]


def test_result_with_every_total_right_is_valid_in_result_mode() -> None:
    raw = zengin_debit.build([batch(3, result_code="0"), batch(2, result_code="4")], result=True)
    assert zengin_debit.validate(raw, mode="result").ok


# --- every fault, not just the first ------------------------------------------------------------


def test_report_collects_every_fault_with_its_record_number() -> None:
    raw = request_file(5)
    for number in (2, 4, 6):
        raw = mutate(raw, number, 51, "ﾔﾏﾀﾞ@")
    report = zengin_debit.validate(raw)
    assert where(report) == [(2, "holder_name"), (4, "holder_name"), (6, "holder_name")]
    assert report.error_count == 3
    assert all('byte 55 "@" (0x40)' in e.message_en for e in report.errors)


def test_report_collects_faults_of_different_kinds_in_one_file() -> None:
    raw = request_file(3)
    raw = mutate(raw, 1, 55, b"1301")
    raw = mutate(raw, 2, 43, b"7")
    raw = mutate(raw, 3, 85, b"x")
    raw = mutate(raw, 4, 51, "ｧ")
    report = zengin_debit.validate(raw)
    assert [(r, f) for r, f in where(report) if r != 5] == [
        (1, "debit_date"),
        (2, "account_type"),
        (3, "amount"),
        (4, "holder_name"),
    ]


def test_max_issues_keeps_counting_beyond_the_listed_issues() -> None:
    raw = request_file(5)
    for number in range(2, 7):
        raw = mutate(raw, number, 51, "a")
    report = zengin_debit.validate(raw, max_issues=2)
    assert len(report.errors) == 2 and report.error_count == 5 and not report.ok


def test_validation_in_small_blocks_finds_the_same_issues_as_in_one_block() -> None:
    records = [payer(i, result_code="0129"[i % 4]) for i in range(9)]
    batches = [
        {"header": HEADER, "records": records[:4]},
        {"header": HEADER, "records": []},
        {"header": HEADER, "records": records[4:]},
        {"header": HEADER, "records": records[:3]},
    ]
    raw = zengin_debit.build(batches, result=True)
    # records: 1-6 batch 1, 7-8 batch 2 (empty), 9-15 batch 3, 16-20 batch 4, 21 end;
    # batch 3's trailer (record 15) says one more failure, batch 4's trailer (record 20) a wrong total
    raw = mutate(raw, 15, 38, b"000004")
    raw = mutate(raw, 20, 8, b"000000000001")
    raw = mutate(raw, 10, 51, "a")
    one = run(zengin_debit.LAYOUT, io.BytesIO(raw), collect=True)
    assert where(one.report) == [(10, "holder_name"), (15, "failed_count"), (20, "total_amount")]
    for block_records in (1, 2, 3, 7):
        blocks = run(zengin_debit.LAYOUT, io.BytesIO(raw), collect=True, block_records=block_records)
        assert [str(i) for i in blocks.report.sorted_issues()] == [str(i) for i in one.report.sorted_issues()]
        assert blocks.batches() == one.batches()
        assert blocks.mode == one.mode == "result"


def test_valid_file_in_blocks_of_seven_is_valid_and_decodes_the_same() -> None:
    raw = zengin_debit.build([batch(5), batch(0), batch(11), batch(1)], separator="none")
    one = run(zengin_debit.LAYOUT, io.BytesIO(raw), collect=True)
    seven = run(zengin_debit.LAYOUT, io.BytesIO(raw), collect=True, block_records=7)
    assert one.report.ok and seven.report.ok
    assert seven.batches() == one.batches()


# --- master lookups -----------------------------------------------------------------------------


def test_unknown_bank_code_is_a_warning_not_an_error() -> None:
    raw = mutate(request_file(2), 3, 2, b"9998")
    report = zengin_debit.validate(raw)
    assert report.ok
    [warning] = report.warnings
    assert (warning.record, warning.field, warning.severity, warning.start) == (3, "bank_code", "warning", 2)
    assert "bank code 9998 is not in the bank master" in warning.message_en
    assert "9998 は金融機関マスタ" in warning.message_ja


def test_unknown_branch_of_a_known_bank_is_a_warning() -> None:
    raw = mutate(request_file(2), 1, 78, b"998")
    report = zengin_debit.validate(raw)
    assert report.ok
    assert [(w.record, w.field) for w in report.warnings] == [(1, "branch_code")]
    assert "branch code 998" in report.warnings[0].message_en


def test_no_master_check_skips_the_lookups() -> None:
    raw = mutate(request_file(2), 3, 2, b"9998")
    report = zengin_debit.validate(raw, check_master=False)
    assert report.ok and not report.warnings


# --- EBCDIC -------------------------------------------------------------------------------------


def test_ebcdic_file_built_with_build_parses_back_equal() -> None:
    header = {**HEADER, "code_division": "1"}
    batches = [batch(3, header=header), batch(0, header=header)]
    ebcdic = zengin_debit.parse(zengin_debit.build(batches))
    cp932 = zengin_debit.parse(zengin_debit.build([{**b, "header": HEADER} for b in batches]))
    assert ebcdic.report.ok and ebcdic.ebcdic and not cp932.ebcdic
    for mine, theirs in zip(ebcdic.batches(), cp932.batches(), strict=True):
        assert mine["header"] == {**theirs["header"], "code_division": "1"}
        assert mine["records"] == theirs["records"]
        assert mine["trailer"] == theirs["trailer"]


def test_ebcdic_file_with_eof_mark_is_valid() -> None:
    raw = zengin_debit.build([batch(1, header={**HEADER, "code_division": "1"})], eof_mark=True)
    assert raw.endswith(b"\x1a")
    report = zengin_debit.validate(raw)
    assert report.ok, [str(i) for i in report.errors]
    assert len(list(zengin_debit.iter_records(raw))) == 4


def test_code_division_1_in_a_shift_jis_file_is_an_encoding_error() -> None:
    error = only_error(zengin_debit.validate(mutate(request_file(1), 1, 4, b"1")))
    assert (error.record, error.field, error.start, error.code) == (1, "code_division", 4, "encoding")
    assert "does not match the file's encoding (JIS/Shift_JIS)" in error.message_en
    assert "コード区分「1」" in error.message_ja


def test_code_division_0_in_an_ebcdic_file_is_an_encoding_error() -> None:
    batches = [batch(1, header={**HEADER, "code_division": "1"}), batch(1, header={**HEADER, "code_division": "0"})]
    error = only_error(zengin_debit.validate(zengin_debit.build(batches)))
    assert (error.record, error.field) == (4, "code_division")
    assert "(EBCDIC)" in error.message_en


# --- iter_records ---------------------------------------------------------------------------------


def test_iter_records_yields_decoded_dicts_with_number_and_kind() -> None:
    records = list(zengin_debit.iter_records(zengin_debit.build([batch(2), batch(0)])))
    assert [(r["record_number"], r["record_kind"]) for r in records] == [
        (1, "header"),
        (2, "data"),
        (3, "data"),
        (4, "trailer"),
        (5, "header"),
        (6, "trailer"),
        (7, "end"),
    ]
    assert records[1]["amount"] == 1000 and records[1]["customer_number"] == "0" * 19 + "1"
    assert records[3]["total_amount"] == 2001
    assert "dummy_1" not in records[1]


def test_iter_records_matches_parse() -> None:
    raw = zengin_debit.build([batch(3), batch(1)], separator="none")
    walked = [r for r in zengin_debit.iter_records(raw) if r.pop("record_kind") == "data"]
    parsed = [r for b in zengin_debit.parse(raw).batches() for r in b["records"]]  # type: ignore[attr-defined]
    assert walked == parsed


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.served += len(chunk)
        return chunk


def test_iter_records_streams_without_reading_the_whole_file() -> None:
    raw = zengin_debit.build([batch(20_000)])
    stream = CountingStream(raw)
    first = next(zengin_debit.iter_records(stream))
    assert first["record_kind"] == "header"
    assert stream.served < len(raw) // 2


def test_iter_records_raises_format_error_on_a_structural_fault() -> None:
    records = split(request_file(2))
    records[2] = records[2][:-1]
    with pytest.raises(FormatError) as exc:
        list(zengin_debit.iter_records(join(records)))
    assert [(i.record, i.field) for i in exc.value.issues] == [(3, "length")]


def test_iter_records_raises_format_error_on_an_unknown_data_kind() -> None:
    raw = mutate(request_file(2), 3, 1, b"5")
    with pytest.raises(FormatError) as exc:
        list(zengin_debit.iter_records(raw))
    issue = exc.value.issues[0]
    assert (issue.record, issue.field, issue.start) == (3, "data_kind", 1)


# --- summary and detection ---------------------------------------------------------------------


def test_summary_counts_batches_records_and_groups_by_result_code_and_bank() -> None:
    records = [payer(0, result_code="0"), payer(1, result_code="1", bank_code="0005"), payer(2, result_code="0")]
    raw = zengin_debit.build([{"header": HEADER, "records": records}, batch(0)], result=True)
    summary = zengin_debit.summary(zengin_debit.parse(raw))
    assert summary["format"] == "zengin-debit" and summary["mode"] == "result"
    assert (summary["records"], summary["batches"], summary["data_records"]) == (8, 2, 3)
    assert summary["total_amount"] == 3003
    assert summary["by_result_code"] == {"0": {"count": 2, "amount": 2002}, "1": {"count": 1, "amount": 1001}}
    assert summary["by_bank_code"] == {"0001": {"count": 2, "amount": 2002}, "0005": {"count": 1, "amount": 1001}}
    assert (summary["errors"], summary["warnings"]) == (0, 0)


@pytest.mark.parametrize("options", [{}, {"separator": "none"}, {"eof_mark": True}])
def test_detect_recognises_a_zengin_debit_file(options: dict[str, object]) -> None:
    name, reason = detect(request_file(2, **options)[:4096])
    assert name == "zengin-debit"
    assert "type_code=91" in reason and "120" in reason


def test_detect_recognises_an_ebcdic_file() -> None:
    raw = zengin_debit.build([batch(1, header={**HEADER, "code_division": "1"})])
    name, reason = detect(raw)
    assert name == "zengin-debit" and "EBCDIC" in reason


@pytest.mark.parametrize(
    "head",
    [b"", b"hello world", b"2" + b" " * 119, put(split(request_file(1))[0], 2, b"21"), b"191" + b"0" * 100 + b"\r\n"],
)
def test_detect_refuses_what_is_not_a_zengin_debit_file(head: bytes) -> None:
    name, reason = detect(head)
    assert name is None and reason


def test_format_issue_prints_record_field_bytes_and_both_messages() -> None:
    issue = FormatIssue(3, "amount", "digits", "数字ではありません", "is not a digit", 81, 90)
    assert str(issue) == "record 3: amount (bytes 81-90): is not a digit / 数字ではありません"
    assert issue.as_dict()["record"] == 3
