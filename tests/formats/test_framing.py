"""Cutting bytes into records: separators, lengths, the EOF mark, EBCDIC and blocks (framing.RecordReader)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from kokin.formats.charset import ZENGIN_CHARS, describe_byte
from kokin.formats.engine import run
from kokin.formats.errors import Report
from kokin.formats.framing import CP932_TO_EBCDIC, EBCDIC_TO_CP932, RecordReader
from kokin.formats.kinds import zengin_debit
from support.records import CRLF, join, request_file, split, where


def cut(data: bytes, *, block_records: int = 4096, **options: object) -> tuple[list[bytes], list[int], Report]:
    """Run the reader over ``data``: record bytes, their numbers and the report."""
    report = Report()
    reader = RecordReader(io.BytesIO(data), 120, report, block_records=block_records, **options)  # type: ignore[arg-type]
    rows: list[bytes] = []
    numbers: list[int] = []
    for block in reader.blocks():
        rows.extend(bytes(r) for r in block.rows)
        numbers.extend(int(n) for n in block.numbers)
    return rows, numbers, report


def issues(report: Report) -> list[tuple[int | None, str, str]]:
    return [(i.record, i.field, i.code) for i in report.sorted_issues()]


def test_crlf_file_is_cut_into_records_without_separators() -> None:
    raw = request_file(3)
    rows, numbers, report = cut(raw)
    assert rows == split(raw)
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert report.ok and not report.warnings


def test_file_without_separators_is_cut_every_120_bytes() -> None:
    raw = request_file(3, separator="none")
    assert len(raw) == 6 * 120
    rows, numbers, report = cut(raw)
    assert rows == split(request_file(3))
    assert numbers == [1, 2, 3, 4, 5, 6] and report.ok


@pytest.mark.parametrize("separator", ["crlf", "none"])
def test_parse_tells_the_separator_convention(separator: str) -> None:
    parsed = zengin_debit.parse(request_file(2, separator=separator))
    assert parsed.convention == separator and parsed.report.ok


@pytest.mark.parametrize("separator", ["crlf", "none"])
def test_trailing_eof_mark_is_ignored(separator: str) -> None:
    raw = request_file(2, separator=separator, eof_mark=True)
    assert raw.endswith(b"\x1a")
    rows, numbers, report = cut(raw)
    assert len(rows) == 5 and numbers[-1] == 5 and report.ok and not report.warnings


def test_eof_mark_alone_is_an_empty_file() -> None:
    for data in (b"", b"\x1a"):
        _, _, report = cut(data)
        assert issues(report) == [(None, "length", "empty")]
        assert "empty" in report.errors[0].message_en and "空" in report.errors[0].message_ja


def test_eof_mark_in_the_middle_of_a_file_is_not_ignored() -> None:
    records = split(request_file(1))
    data = join(records[:2]) + b"\x1a" + join(records[2:])
    _, _, report = cut(data)
    assert (3, "length", "record_length") in issues(report)


@pytest.mark.parametrize(("which", "lone"), [("LF", b"\n"), ("CR", b"\r")])
def test_lone_cr_or_lf_after_a_record_is_a_separator_error_naming_it(which: str, lone: bytes) -> None:
    records = split(request_file(2))
    data = join(records[:2]) + records[2] + lone + join(records[3:])
    _, numbers, report = cut(data)
    error = report.errors[0]
    assert issues(report) == [(3, "separator", "lone_newline")]
    assert f"lone {which}" in error.message_en and f"{which} だけ" in error.message_ja
    assert numbers == [1, 2, 3, 4, 5]  # the record itself has the right length and is kept


def test_lf_only_file_has_one_separator_error_per_record() -> None:
    data = request_file(1).replace(CRLF, b"\n")
    _, _, report = cut(data)
    assert issues(report) == [(n, "separator", "lone_newline") for n in (1, 2, 3, 4)]


def test_short_record_in_the_middle_of_a_crlf_file_names_its_number_and_length() -> None:
    records = split(request_file(3))
    records[2] = records[2][:-1]
    _, numbers, report = cut(join(records))
    error = report.errors[0]
    assert issues(report) == [(3, "length", "record_length")]
    assert "119 bytes long; it must be 120" in error.message_en
    assert "119 バイト" in error.message_ja and "120 バイトでなければなりません" in error.message_ja
    assert numbers == [1, 2, 4, 5, 6]  # the later records keep their numbers


def test_long_record_in_the_middle_of_a_crlf_file_names_its_number_and_length() -> None:
    records = split(request_file(3))
    records[1] += b" "
    _, numbers, report = cut(join(records))
    assert issues(report) == [(2, "length", "record_length")]
    assert "121 bytes long" in report.errors[0].message_en
    assert numbers == [1, 3, 4, 5, 6]


def test_short_last_record_of_a_crlf_file_is_a_length_error() -> None:
    data = request_file(1)[:-5]  # CR LF and three bytes of the end record gone
    _, _, report = cut(data)
    assert issues(report) == [(4, "length", "record_length")]
    assert "117 bytes long" in report.errors[0].message_en


def test_last_record_without_crlf_is_only_a_warning() -> None:
    data = request_file(1)[:-2]
    _, numbers, report = cut(data)
    assert report.ok and numbers == [1, 2, 3, 4]
    assert [(w.record, w.field, w.code) for w in report.warnings] == [(4, "separator", "missing_final_newline")]


def test_short_last_record_of_a_file_without_separators_says_the_file_length() -> None:
    data = request_file(1, separator="none")[:-3]
    _, numbers, report = cut(data)
    error = report.errors[0]
    assert issues(report) == [(4, "length", "short_record")]
    assert "only 117 bytes" in error.message_en and "multiple of 120" in error.message_en
    assert "117 バイト" in error.message_ja
    assert numbers == [1, 2, 3]


def test_long_record_in_a_file_without_separators_shifts_every_later_record() -> None:
    records = split(request_file(2))
    records[1] += b"X"
    report = zengin_debit.validate(join(records, b""))
    assert (3, "data_kind") in where(report)  # the stray byte starts record 3
    assert (6, "length") in where(report)  # and one byte is left over at the end


def test_newline_inside_a_file_without_separators_is_a_separator_error() -> None:
    # the convention is decided from the first 64 KiB; a newline after that is flagged where it is
    records = split(request_file(600, separator="none"), b"")
    records[590] = records[590][:50] + b"\n" + records[590][51:]
    _, _, report = cut(join(records, b""))
    assert issues(report) == [(591, "separator", "unexpected_newline")]


def test_bank_that_accepts_only_crlf_rejects_a_file_without_separators() -> None:
    _, _, report = cut(request_file(1, separator="none"), separators=("crlf",))
    assert issues(report) == [(1, "separator", "convention")]
    assert "no separators" in report.errors[0].message_en


def test_small_blocks_give_the_same_records_and_numbers() -> None:
    for separator in ("crlf", "none"):
        raw = request_file(20, separator=separator)
        whole = cut(raw)
        for size in (1, 2, 7):
            rows, numbers, report = cut(raw, block_records=size)
            assert (rows, numbers) == whole[:2] and report.ok


def test_small_blocks_report_the_same_length_faults() -> None:
    records = split(request_file(20))
    records[5] = records[5][:100]
    records[17] += b"  "
    data = join(records)
    expected = issues(cut(data)[2])
    assert expected == [(6, "length", "record_length"), (18, "length", "record_length")]
    for size in (1, 3, 7):
        assert issues(cut(data, block_records=size)[2]) == expected


def test_ebcdic_is_detected_from_the_first_byte_and_translated_to_cp932() -> None:
    cp932 = request_file(2)
    ebcdic = cp932.translate(CP932_TO_EBCDIC)
    assert ebcdic[:1] == b"\xf1"
    report = Report()
    reader = RecordReader(io.BytesIO(ebcdic), 120, report)
    rows = [bytes(r) for b in reader.blocks() for r in b.rows]
    assert reader.ebcdic is True
    assert rows == split(cp932)


def test_every_zengin_character_survives_the_ebcdic_tables() -> None:
    for ch in ZENGIN_CHARS:
        b = ch.encode("cp932")[0]
        assert EBCDIC_TO_CP932[CP932_TO_EBCDIC[b]] == b, ch


def test_ebcdic_newline_is_translated_to_lf() -> None:
    assert CP932_TO_EBCDIC[0x0D] == 0x0D and EBCDIC_TO_CP932[CP932_TO_EBCDIC[0x0A]] == 0x0A


def test_reader_rows_are_uint8_matrices() -> None:
    report = Report()
    block = next(RecordReader(io.BytesIO(request_file(1)), 120, report).blocks())
    assert block.rows.dtype == np.uint8 and block.rows.shape == (4, 120) and block.first == 1


@pytest.mark.parametrize(
    ("raw", "index", "expected"),
    [
        (b"a", 0, "「a」(0x61)"),
        ("ｱ".encode("cp932"), 0, "「ｱ」(0xB1)"),
        ("ア".encode("cp932"), 0, "「ア」(0x8341)"),
        (b"\r", 0, "CR"),
        (b"\n", 0, "LF"),
        (b"\x00", 0, "0x00"),
        (b"\xff", 0, "0xFF"),
    ],
)
def test_describe_byte_names_the_character_and_its_bytes(raw: bytes, index: int, expected: str) -> None:
    assert describe_byte(raw, index) == expected


def test_eof_mark_after_a_short_last_record_is_not_read_as_data_at_a_block_boundary() -> None:
    # 599 bytes and the EOF mark: the last record is one byte short, whatever the block size
    data = request_file(3, separator="none")[:-1] + b"\x1a"
    for size in (1, 2, 3, 6, 4096):
        _, numbers, report = cut(data, block_records=size)
        assert numbers == [1, 2, 3, 4, 5], size
        assert issues(report) == [(6, "length", "short_record")], size


def test_cr_inside_a_record_before_crlf_is_a_separator_fault_in_any_block_size() -> None:
    records = split(request_file(1))
    records[1] = records[1][:-1] + b"\r"  # 119 bytes, then CR CR LF: the record holds a CR
    data = join(records)
    for size in (1, 2, 4096):
        assert issues(cut(data, block_records=size)[2]) == [], size
        report = run(zengin_debit.LAYOUT, io.BytesIO(data), block_records=size).report
        errors = [(i.record, i.field, i.code, i.start) for i in report.errors if i.field == "separator"]
        assert errors == [(2, "separator", "newline_inside", 120)], size
