"""A corpus of bad Zengin debit files: each names the record, the field and the message of every error.

The base file is one request batch of three payers: record 1 header, 2–4 data, 5 trailer, 6 end.
Each case breaks it in one way and lists every error the validator must report, in record order, as
(record, field, words of the English message, words of the Japanese message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from kokin.formats.errors import FormatIssue
from kokin.formats.kinds import zengin_debit
from support.records import HEADER, batch, join, mutate, payer, request_file, split

Expected = tuple[int | None, str, str, str]


@dataclass
class Case:
    name: str
    make: Callable[[], bytes]
    errors: list[Expected]
    mode: str = "auto"
    #: when False, other errors may follow the listed ones (a fault that is reported twice)
    exact: bool = True
    options: dict[str, object] = field(default_factory=dict)


def base(**options: object) -> bytes:
    return request_file(3, **options)


def records() -> list[bytes]:
    return split(base())


def with_records(change: Callable[[list[bytes]], list[bytes]], separator: bytes = b"\r\n") -> Callable[[], bytes]:
    return lambda: join(change(records()), separator)


def at(record: int, position: int, value: bytes | str) -> Callable[[], bytes]:
    return lambda: mutate(base(), record, position, value)


def result_file() -> bytes:
    """A result batch: record 2 transferred (1000), record 3 failed code 1 (1001), record 4 transferred (1002)."""
    rows = [payer(0), payer(1, result_code="1"), payer(2)]
    return zengin_debit.build([{"header": HEADER, "records": rows}], result=True)


def set_record(index: int, value: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def change(rs: list[bytes]) -> list[bytes]:
        rs[index] = value
        return rs

    return change


CASES = [
    # --- length and separators -----------------------------------------------------------------
    Case(
        "short_record_in_the_middle",
        with_records(lambda rs: [*rs[:2], rs[2][:-1], *rs[3:]]),
        [(3, "length", "the record is 119 bytes long; it must be 120", "レコード長が 119 バイトです")],
        exact=False,  # the trailer's totals cannot agree with a record that could not be read
    ),
    Case(
        "long_record_in_the_middle",
        with_records(lambda rs: [rs[0], rs[1] + b"0", *rs[2:]]),
        [(2, "length", "the record is 121 bytes long", "121 バイトです (120 バイトでなければなりません)")],
        exact=False,
    ),
    Case(
        "short_last_record",
        lambda: base()[:-4],
        [
            (6, "length", "the record is 118 bytes long", "レコード長が 118 バイト"),
            (6, "record_order", "the file does not end with", "ファイルがエンドレコードで終わっていません"),
        ],
    ),
    Case(
        "long_last_record",
        lambda: base()[:-2] + b"  \r\n",
        [
            (6, "length", "the record is 122 bytes long", "レコード長が 122 バイト"),
            (6, "record_order", "the file does not end with", "エンドレコードで終わっていません"),
        ],
    ),
    Case(
        "short_last_record_without_separators",
        lambda: base(separator="none")[:-1],
        [
            (
                6,
                "length",
                "the last record has only 119 bytes (file length is not a multiple of 120)",
                "119 バイトしかありません",
            ),
            (6, "record_order", "the file does not end with", "エンドレコードで終わっていません"),
        ],
    ),
    Case(
        "lone_lf_after_a_record",
        lambda: base().replace(b"\r\n", b"\n", 2).replace(b"\n", b"\r\n", 1),
        [(2, "separator", "the record ends with a lone LF; records must end with CR LF", "区切りが LF だけです")],
    ),
    Case(
        "lone_cr_after_a_record",
        with_records(lambda rs: [*rs[:3], rs[3] + b"\r" + rs[4], rs[5]]),
        [(4, "separator", "the record ends with a lone CR", "区切りが CR だけです")],
    ),
    Case(
        "eof_mark_followed_by_more_data",
        lambda: base()[:-122] + b"\x1a" + base()[-122:],
        [
            (6, "length", "the record is 121 bytes long", "レコード長が 121 バイトです"),
            (6, "record_order", "the file does not end with", "エンドレコードで終わっていません"),
        ],
    ),
    Case("empty_file", lambda: b"", [(None, "length", "the file is empty", "ファイルが空です")]),
    Case(
        "text_file",
        lambda: "口座振替データ\r\n".encode("cp932"),
        [
            (1, "length", "the record is 14 bytes long", "レコード長が 14 バイトです"),
            (1, "record_order", "the file does not end with", "エンドレコードで終わっていません"),
        ],
    ),
    # --- record order ---------------------------------------------------------------------------
    Case(
        "missing_end_record",
        with_records(lambda rs: rs[:-1]),
        [(5, "record_order", "the file does not end with", "ファイルがエンドレコードで終わっていません")],
    ),
    Case(
        "data_after_the_end_record",
        with_records(lambda rs: [*rs, rs[1]]),
        [
            (
                7,
                "record_order",
                "a data record cannot follow a end record",
                "エンドレコードの後にデータレコードは置けません",
            ),
            (7, "record_order", "the file does not end with", "エンドレコードで終わっていません"),
        ],
    ),
    Case(
        "data_before_the_header",
        with_records(lambda rs: [rs[1], *rs]),
        [
            (
                1,
                "record_order",
                "the file starts with a data record; it must start with a header",
                "ファイルの先頭がデータレコードです",
            ),
            (
                2,
                "record_order",
                "a header record cannot follow a data record",
                "データレコードの後にヘッダーレコードは置けません",
            ),
        ],
    ),
    Case(
        "trailer_missing",
        with_records(lambda rs: [*rs[:4], rs[5]]),
        [
            (
                5,
                "record_order",
                "a end record cannot follow a data record",
                "データレコードの後にエンドレコードは置けません",
            )
        ],
    ),
    Case(
        "two_headers",
        with_records(lambda rs: [rs[0], *rs]),
        [
            (
                2,
                "record_order",
                "a header record cannot follow a header record",
                "ヘッダーレコードの後にヘッダーレコードは置けません",
            )
        ],
    ),
    Case(
        "data_after_a_trailer",
        with_records(lambda rs: [*rs[:5], rs[1], rs[5]]),
        [
            (
                6,
                "record_order",
                "a data record cannot follow a trailer record",
                "トレーラーレコードの後にデータレコードは置けません",
            ),
            (
                7,
                "record_order",
                "a end record cannot follow a data record",
                "データレコードの後にエンドレコードは置けません",
            ),
        ],
    ),
    Case(
        "unknown_data_kind",
        at(3, 1, b"5"),
        [(3, "data_kind", 'data_kind "5" (0x35) must be one of 1, 2, 8, 9', "データ区分 「5」(0x35) は 1・2・8・9")],
        exact=False,
    ),
    # --- digits ---------------------------------------------------------------------------------
    Case(
        "letter_in_an_account_number",
        at(3, 47, b"A"),
        [
            (
                3,
                "account_number",
                'account_number byte 47 "A" (0x41) is not a digit',
                "口座番号の 47 バイト目 「A」(0x41) は数字ではありません",
            )
        ],
    ),
    Case(
        "space_in_a_customer_number",
        at(2, 100, b" "),
        [(2, "customer_number", 'byte 100 " " (0x20) is not a digit', "顧客番号の 100 バイト目")],
    ),
    Case(
        "full_width_digit_in_the_consignor_code",
        at(1, 5, "１"),
        [(1, "consignor_code", 'byte 5 "１" (0x8250) is not a digit', "委託者コードの 5 バイト目 「１」(0x8250)")],
    ),
    Case(
        "letter_in_an_amount",
        at(4, 88, b"O"),
        [(4, "amount", 'amount byte 88 "O" (0x4F) is not a digit', "引落金額の 88 バイト目 「O」(0x4F)")],
    ),
    Case(
        "letter_in_a_trailer_count",
        at(5, 7, b"x"),
        [(5, "total_count", 'total_count byte 7 "x" (0x78) is not a digit', "合計件数の 7 バイト目")],
    ),
    # --- allowed values ---------------------------------------------------------------------------
    Case(
        "type_code_other_than_91",
        at(1, 2, b"21"),
        [
            (
                1,
                "type_code",
                "type_code '21' is not allowed (allowed: 91)",
                "種別コード「21」は使えません (使える値: 91)",
            )
        ],
    ),
    Case(
        "header_account_type_3",
        at(1, 96, b"3"),
        [
            (
                1,
                "account_type",
                "account_type '3' is not allowed (allowed: 1, 2, 9)",
                "預金種目(委託者)「3」は使えません",
            )
        ],
    ),
    Case(
        "data_account_type_4",
        at(3, 43, b"4"),
        [(3, "account_type", "account_type '4' is not allowed (allowed: 1, 2, 3, 9)", "預金種目「4」は使えません")],
    ),
    Case(
        "new_code_5",
        at(2, 91, b"5"),
        [(2, "new_code", "new_code '5' is not allowed (allowed: 0, 1, 2)", "新規コード「5」は使えません")],
    ),
    Case(
        "result_code_5_in_a_result_file",
        lambda: mutate(result_file(), 3, 112, b"5"),
        [
            (
                3,
                "result_code",
                "result_code '5' is not allowed (allowed: 0, 1, 2, 3, 4, 8, 9)",
                "振替結果コード「5」は使えません",
            )
        ],
        mode="result",
    ),
    Case(
        "code_division_2",
        at(1, 4, b"2"),
        [(1, "code_division", "code_division '2' is not allowed (allowed: 0, 1)", "コード区分「2」は使えません")],
    ),
    Case(
        "code_division_1_in_a_shift_jis_file",
        at(1, 4, b"1"),
        [(1, "code_division", "code_division '1' does not match the file's encoding", "ファイルの文字コード")],
    ),
    # --- characters of C fields ----------------------------------------------------------------------
    Case(
        "lower_case_letter_in_a_holder_name",
        at(3, 53, b"d"),
        [
            (
                3,
                "holder_name",
                'holder_name byte 53 "d" (0x64) is not in the Zengin character set',
                "預金者名の 53 バイト目 「d」(0x64) は全銀協の文字セットにない文字です",
            )
        ],
    ),
    Case(
        "small_kana_in_a_holder_name",
        at(2, 51, "ｬ"),
        [(2, "holder_name", 'byte 51 "ｬ" (0xAC) is not in the Zengin character set', "「ｬ」(0xAC)")],
    ),
    Case(
        "full_width_kana_in_a_consignor_name",
        at(1, 20, "ア"),
        [(1, "consignor_name", 'consignor_name byte 20 "ア" (0x8341)', "委託者名の 20 バイト目 「ア」(0x8341)")],
    ),
    Case(
        "forbidden_symbol_in_a_branch_name",
        at(4, 30, b"&"),
        [(4, "branch_name", 'branch_name byte 30 "&" (0x26)', "引落支店名の 30 バイト目 「&」(0x26)")],
    ),
    Case(
        "long_vowel_mark_in_a_bank_name",
        at(1, 63, "ｰ"),
        [(1, "bank_name", 'bank_name byte 63 "ｰ" (0xB0)', "取引金融機関名の 63 バイト目")],
    ),
    Case(
        "control_byte_in_a_holder_name",
        at(2, 60, b"\x00"),
        [(2, "holder_name", "holder_name byte 60 0x00 is not in the Zengin character set", "60 バイト目 0x00")],
    ),
    # --- dates ------------------------------------------------------------------------------------
    *[
        Case(
            f"debit_date_{date}",
            at(1, 55, date.encode()),
            [
                (
                    1,
                    "debit_date",
                    f"debit_date '{date}' is not a real month and day (MMDD)",
                    f"引落日「{date}」は実在する月日",
                )
            ],
        )
        for date in ("0230", "1301", "0000", "0431", "0100", "0932")
    ],
    # --- blanks -------------------------------------------------------------------------------------
    Case(
        "blank_consignor_account_without_a_profile",
        at(1, 96, b" " * 8),
        [
            (1, "account_number", 'account_number byte 97 " " (0x20) is not a digit', "口座番号(委託者)の 97 バイト目"),
            (1, "account_type", 'account_type byte 96 " " (0x20) is not a digit', "預金種目(委託者)の 96 バイト目"),
        ],
    ),
    # --- trailer totals --------------------------------------------------------------------------------
    Case(
        "trailer_count_too_high",
        at(5, 2, b"000004"),
        [
            (
                5,
                "total_count",
                "total_count 4 does not match 3 computed from the data records",
                "合計件数 4 がデータレコードから求めた 3 と一致しません",
            )
        ],
    ),
    Case(
        "trailer_amount_one_yen_off",
        at(5, 8, b"000000003004"),
        [
            (
                5,
                "total_amount",
                "total_amount 3,004 does not match 3,003",
                "合計金額 3,004 がデータレコードから求めた 3,003",
            )
        ],
    ),
    Case(
        "request_trailer_with_a_transferred_count",
        at(5, 20, b"000003"),
        [
            (
                5,
                "transferred_count",
                "transferred_count must be zero in a request file (is 3)",
                "請求データの振替済件数は 0 でなければなりません",
            )
        ],
        mode="request",
    ),
    Case(
        "request_trailer_with_failed_totals",
        lambda: mutate(mutate(base(), 5, 38, b"000001"), 5, 44, b"000000001001"),
        [
            (
                5,
                "failed_amount",
                "failed_amount must be zero in a request file (is 1,001)",
                "請求データの振替不能金額は 0",
            ),
            (5, "failed_count", "failed_count must be zero in a request file (is 1)", "請求データの振替不能件数は 0"),
        ],
        mode="request",
    ),
    Case(
        "result_transferred_count_disagrees_with_result_codes",
        lambda: mutate(result_file(), 5, 20, b"000003"),
        [(5, "transferred_count", "transferred_count 3 does not match 2", "振替済件数 3 がデータレコードから求めた 2")],
    ),
    Case(
        "result_transferred_amount_disagrees_with_result_codes",
        lambda: mutate(result_file(), 5, 26, b"000000003003"),
        [(5, "transferred_amount", "transferred_amount 3,003 does not match 2,002", "振替済金額 3,003")],
    ),
    Case(
        "result_failed_totals_disagree_with_result_codes",
        lambda: mutate(result_file(), 5, 38, b"000000000000000000"),
        [
            (
                5,
                "failed_amount",
                "failed_amount 0 does not match 1,001",
                "振替不能金額 0 がデータレコードから求めた 1,001",
            ),
            (5, "failed_count", "failed_count 0 does not match 1", "振替不能件数 0 がデータレコードから求めた 1"),
        ],
        mode="result",
    ),
    Case(
        "result_code_changed_without_its_trailer",
        lambda: mutate(result_file(), 2, 112, b"2"),
        [
            (5, "failed_amount", "failed_amount 1,001 does not match 2,001", "振替不能金額 1,001"),
            (5, "failed_count", "failed_count 1 does not match 2", "振替不能件数 1"),
            (5, "transferred_amount", "transferred_amount 2,002 does not match 1,002", "振替済金額 2,002"),
            (5, "transferred_count", "transferred_count 2 does not match 1", "振替済件数 2"),
        ],
    ),
    Case(
        "second_batch_total_wrong",
        lambda: mutate(zengin_debit.build([batch(2), batch(0), batch(1)]), 6, 2, b"000001"),
        [(6, "total_count", "total_count 1 does not match 0", "合計件数 1 がデータレコードから求めた 0")],
    ),
]


def _key(issue: FormatIssue) -> tuple[int, str]:
    return (issue.record or 0, issue.field)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_reports_record_field_and_message(case: Case) -> None:
    report = zengin_debit.validate(case.make(), mode=case.mode)  # type: ignore[arg-type]
    assert not report.ok
    errors = sorted(report.errors, key=_key)
    listed = errors if case.exact else [e for e in errors if any(e.message_en.find(x[2]) >= 0 for x in case.errors)]
    assert [(e.record, e.field) for e in listed] == [(r, f) for r, f, _, _ in case.errors], [str(e) for e in errors]
    for error, (_, _, en, ja) in zip(listed, case.errors, strict=True):
        assert en in error.message_en, str(error)
        assert ja in error.message_ja, str(error)
    assert report.error_count == len(report.errors)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_field_errors_carry_the_field_bytes(case: Case) -> None:
    layout = zengin_debit.LAYOUT
    report = zengin_debit.validate(case.make(), mode=case.mode)  # type: ignore[arg-type]
    for error in report.errors:
        if error.field in ("length", "separator", "record_order"):
            assert error.start is None
            continue
        fields = {(f.name, f.start, f.end) for k in layout.kinds for f in k.fields}
        assert (error.field, error.start, error.end) in fields, str(error)


def test_debit_date_0229_is_accepted() -> None:
    assert zengin_debit.validate(mutate(base(), 1, 55, b"0229")).ok


@pytest.mark.parametrize("date", ["0101", "0131", "0430", "0630", "1231"])
def test_real_debit_dates_are_accepted(date: str) -> None:
    assert zengin_debit.validate(mutate(base(), 1, 55, date.encode())).ok


def test_non_blank_dummy_is_a_warning_not_an_error() -> None:
    report = zengin_debit.validate(mutate(base(), 3, 113, b"X"))
    assert report.ok
    assert [(w.record, w.field, w.start, w.end) for w in report.warnings] == [(3, "dummy_2", 113, 120)]
    assert "dummy field should be spaces" in report.warnings[0].message_en


def test_every_listed_case_differs_from_the_valid_base() -> None:
    assert zengin_debit.validate(base()).ok
    assert len({c.make() for c in CASES}) == len(CASES)
