"""Zengin direct debit, 預金口座振替 (種別コード 91): request (請求) and result (結果) files.

Defined by the Japanese Bankers Association's 全銀協規定フォーマット; 120-byte records in cp932
(or EBCDIC kana when the header's code_division is 1): header (データ区分 1), data (2), trailer (8),
end (9). A result file is the request with 振替結果コード filled in and the trailer's transferred and
failed totals set. The byte table is in ``docs/formats/zengin-debit.md``.

>>> header = {"consignor_code": "1234567890", "consignor_name": "ﾃｽﾄｸ", "debit_date": "0527",
...           "bank_code": "0001", "branch_code": "001", "account_type": "1", "account_number": "1234567"}
>>> payer = {"bank_code": "0001", "branch_code": "001", "account_type": "1", "account_number": "7654321",
...          "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "amount": 12000, "customer_number": "1"}
>>> raw = build([{"header": header, "records": [payer]}])
>>> raw[120:122], len(raw)
(b'\\r\\n', 488)
>>> parsed = parse(raw)
>>> parsed.report.ok, parsed.batches()[0]["trailer"]["total_amount"]
(True, 12000)
>>> fault = validate(raw.replace("ﾔﾏﾀﾞ".encode("cp932"), b"yama")).errors[0]
>>> fault.record, fault.field, fault.message_en
(2, 'holder_name', 'holder_name byte 51 "y" (0x79) is not in the Zengin character set')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kokin.formats import base
from kokin.formats.build import build_batches
from kokin.formats.errors import FormatError, FormatIssue
from kokin.formats.kinds._zengin import amount, data_kind, field, header, laid_out, total, trailer, zengin_layout
from kokin.formats.layout import Layout, Total
from kokin.formats.summary import summary as summary

NAME = "zengin-debit"
RESULT_CODES = {
    "0": ("振替済", "transferred"),
    "1": ("資金不足", "insufficient funds"),
    "2": ("取引なし", "no account"),
    "3": ("預金者都合による振替停止", "stopped by payer"),
    "4": ("預金口座振替依頼書なし", "no mandate"),
    "8": ("委託者都合による振替停止", "stopped by consignor"),
    "9": ("その他", "other"),
}
ACCOUNT_TYPES = {"1": "普通", "2": "当座", "3": "納税準備預金", "9": "その他"}
NEW_CODES = {"0": "その他", "1": "第1回引落分", "2": "変更分"}

HEADER = header(
    120,
    "91",
    field("consignor_code", 10, "N", "委託者コード", "consignor code"),
    field("consignor_name", 40, "C", "委託者名", "consignor name"),
    field("debit_date", 4, "N", "引落日", "debit date (MMDD)", date="mmdd"),
    field("bank_code", 4, "N", "取引金融機関番号", "consignor's bank code", lookup="bank"),
    field("bank_name", 15, "C", "取引金融機関名", "bank name"),
    field("branch_code", 3, "N", "取引支店番号", "branch code", lookup="branch"),
    field("branch_name", 15, "C", "取引支店名", "branch name"),
    field(
        "account_type",
        1,
        "N",
        "預金種目(委託者)",
        "consignor's account type",
        allowed=("1", "2", "9"),
        codes=ACCOUNT_TYPES,
    ),
    field("account_number", 7, "N", "口座番号(委託者)", "consignor's account number"),
)
DATA = laid_out(
    "2",
    "data",
    "データレコード",
    120,
    data_kind("2"),
    field("bank_code", 4, "N", "引落金融機関番号", "payer's bank code", lookup="bank"),
    field("bank_name", 15, "C", "引落金融機関名", "payer's bank name"),
    field("branch_code", 3, "N", "引落支店番号", "payer's branch code", lookup="branch"),
    field("branch_name", 15, "C", "引落支店名", "payer's branch name"),
    field("dummy_1", 4, "C", "ダミー", "dummy", dummy=True),
    field("account_type", 1, "N", "預金種目", "account type", allowed=tuple(ACCOUNT_TYPES), codes=ACCOUNT_TYPES),
    field("account_number", 7, "N", "口座番号", "account number"),
    field("holder_name", 30, "C", "預金者名", "account holder name"),
    amount("引落金額", "amount (yen)"),
    field("new_code", 1, "N", "新規コード", "new code", allowed=tuple(NEW_CODES), codes=NEW_CODES),
    field("customer_number", 20, "N", "顧客番号", "customer number"),
    field(
        "result_code",
        1,
        "N",
        "振替結果コード",
        "result code",
        allowed=tuple(RESULT_CODES),
        codes={code: ja for code, (ja, _) in RESULT_CODES.items()},
    ),
    rest=field("dummy_2", 0, "C", "ダミー", "dummy", dummy=True),
)
TRAILER = trailer(
    120,
    total("total_amount", "合計金額", "total amount"),
    total("transferred_count", "振替済件数", "transferred count", 6),
    total("transferred_amount", "振替済金額", "transferred amount"),
    total("failed_count", "振替不能件数", "failed count", 6),
    total("failed_amount", "振替不能金額", "failed amount"),
)
LAYOUT = zengin_layout(
    NAME,
    "預金口座振替 (全銀協 種別コード91)",
    "Zengin direct debit (type code 91)",
    (HEADER, DATA, TRAILER),
    totals=(
        Total("total_count", "count"),
        Total("total_amount", "sum", "amount"),
        Total("transferred_count", "count", where=("result_code", "==", "0"), mode="result"),
        Total("transferred_amount", "sum", "amount", where=("result_code", "==", "0"), mode="result"),
        Total("failed_count", "count", where=("result_code", "!=", "0"), mode="result"),
        Total("failed_amount", "sum", "amount", where=("result_code", "!=", "0"), mode="result"),
    ),
    summary_by=("result_code", "bank_code"),
    extra={"result_marker": "result_code"},
)

parse, validate, iter_records, looks_like = base.face(LAYOUT)


def build(
    batches: Sequence[Mapping[str, Any]],
    *,
    layout: Layout = LAYOUT,
    separator: str = "crlf",
    eof_mark: bool = False,
    result: bool = False,
) -> bytes:
    """Build a request (or with ``result=True`` a result) file from ``[{"header", "records"}]``.

    Trailers are computed from the records (a given trailer is ignored). Values must already be in
    the Zengin character set (see :func:`kokin.formats.kana.normalise_name`); a value that does not
    fit raises :class:`FormatError` naming the record and the field. Header code_division 1 writes EBCDIC.
    """
    prepared = []
    number = 0
    ebcdic = False
    for batch in batches:
        header = {"type_code": "91", "code_division": "0", **batch["header"]}
        ebcdic = ebcdic or header["code_division"] == "1"
        number += 1
        records = []
        for rec in batch["records"]:
            number += 1
            values = {"new_code": "0", "result_code": "0", **rec}
            if not result and values["result_code"] != "0":
                raise FormatError(
                    FormatIssue(
                        number,
                        "result_code",
                        "build",
                        "請求データの振替結果コードは 0 です",
                        "a request file has result_code 0",
                        112,
                        112,
                    )
                )
            records.append(values)
        number += 1
        prepared.append({"header": header, "records": records})
    return build_batches(prepared, layout=layout, separator=separator, eof_mark=eof_mark, result=result, ebcdic=ebcdic)
