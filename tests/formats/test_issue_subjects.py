"""What a validation issue tells an operator beyond its one line: the faulty record's 顧客番号 and
預金者名 (or a collection record's key), the 項目's Japanese name in the record's own kind, a hint of the
fix, and issues of one kind grouped with a count and their first records."""

from __future__ import annotations

import io

from kokin.formats import FORMATS
from kokin.formats.engine import run
from kokin.formats.errors import FormatIssue
from kokin.formats.examples import DEBIT_HEADER, HEADERS, batch, payer
from kokin.formats.hints import HINTS, field_label, group
from kokin.formats.kinds import mpn_receipt, zengin_debit
from kokin.formats.layout import Layout

DEBIT = FORMATS["zengin-debit"].LAYOUT


def _debit(records: int, header: dict[str, object] | None = None) -> bytearray:
    head = {**DEBIT_HEADER, **(header or {})}
    return bytearray(zengin_debit.build([{"header": head, "records": [payer(i) for i in range(records)]}]))


def _issues(layout: Layout, raw: bytes) -> list[FormatIssue]:
    return run(layout, io.BytesIO(raw)).report.sorted_issues()


def _at(layout: Layout, record: int, kind: str, name: str) -> int:
    """The offset of a field of the 1-based ``record`` in a file of CR LF-separated records."""
    return (record - 1) * (layout.record_length + 2) + layout.kind(kind).field(name).start - 1


def test_a_faulty_debit_record_names_the_payer_and_the_field_in_japanese() -> None:
    raw = _debit(3)
    raw[_at(DEBIT, 3, "data", "amount")] = ord("X")
    (issue,) = [i for i in _issues(DEBIT, bytes(raw)) if i.severity == "error"]
    assert (issue.record, issue.field, issue.code, issue.label) == (3, "amount", "digits", "引落金額")
    assert issue.subject == (("顧客番号", "00000000000000000002"), ("預金者名", "ﾔﾏﾀﾞ ﾀﾛｳ"))
    assert issue.subject_text == "顧客番号 00000000000000000002・預金者名 ﾔﾏﾀﾞ ﾀﾛｳ"
    # the one-line form (the CLI's output) and the stored dict are as before
    assert str(issue).startswith("record 3: amount (bytes 81-90): ")
    assert "subject" not in issue.as_dict() and "label" not in issue.as_dict()


def test_a_header_issue_takes_the_header_s_name_for_a_field_the_data_record_also_has() -> None:
    raw = _debit(1)
    raw[_at(DEBIT, 1, "header", "bank_code")] = ord("X")
    issues = [i for i in _issues(DEBIT, bytes(raw)) if i.field == "bank_code"]
    assert issues and issues[0].record == 1 and issues[0].subject == ()
    header_name = DEBIT.kind("header").field("bank_code").ja
    assert issues[0].label == header_name != DEBIT.kind("data").field("bank_code").ja


def test_a_faulty_collection_record_names_its_payment_number() -> None:
    layout = FORMATS["mpn-receipt"].LAYOUT
    good = batch("mpn-receipt", 2)
    raw = bytearray(mpn_receipt.build([{"header": dict(HEADERS["mpn-receipt"]), "records": good["records"]}]))
    raw[_at(layout, 3, "data", "check_number")] = ord("A")
    issues = [i for i in _issues(layout, bytes(raw)) if i.field == "check_number"]
    assert issues and issues[0].subject[0][0] == "納付番号"
    number = good["records"][issues[0].record - 2]["payment_number"]  # N(20): with its leading zeros
    assert issues[0].subject == (("納付番号", f"{int(number):020d}"),)


def test_issues_of_one_kind_are_grouped_with_their_count_first_records_and_hint() -> None:
    raw = _debit(12)
    for record in range(2, 14):
        raw[_at(DEBIT, record, "data", "amount")] = ord("X")
    raw[_at(DEBIT, 3, "data", "holder_name") + 5] = ord("a")  # a lower-case letter in a name
    groups = group(_issues(DEBIT, bytes(raw)), DEBIT, first=5)
    by_field = {g.field: g for g in groups}
    amount = by_field["amount"]
    assert (amount.label, amount.count, amount.more, amount.hint) == ("引落金額", 12, 7, HINTS["digits"])
    assert [i.record for i in amount.first] == [2, 3, 4, 5, 6]
    assert amount.first[0].subject_text == "顧客番号 00000000000000000001・預金者名 ﾔﾏﾀﾞ ﾀﾛｳ"
    name = by_field["holder_name"]
    assert (name.label, name.count, name.hint) == ("預金者名", 1, HINTS["charset"])
    assert name.example.startswith("預金者名")


def test_a_rule_of_the_caller_has_its_own_hint_and_errors_come_before_warnings() -> None:
    warning = FormatIssue(2, "bank_code", "unknown_code", "w", "w", severity="warning")
    error = FormatIssue(1, "consignor_code", "consignor_code", "e", "e")
    groups = group([warning, error], DEBIT, hints={"consignor_code": "委託者コードを確かめる"})
    assert [(g.severity, g.label, g.hint) for g in groups] == [
        ("error", "委託者コード", "委託者コードを確かめる"),
        ("warning", "引落金融機関番号", HINTS["unknown_code"]),
    ]
    assert field_label(FormatIssue(None, "file", "empty", "", ""), DEBIT) == "ファイル全体"
