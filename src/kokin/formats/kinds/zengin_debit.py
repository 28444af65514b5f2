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
from kokin.formats.layout import ZENGIN_ORDER, Field, Layout, RecordKind, Total, end_record
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

HEADER = RecordKind(
    "1",
    "header",
    "ヘッダーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("1",)),
        Field("type_code", 2, 2, "N", "種別コード", "type code", allowed=("91",)),
        Field("code_division", 4, 1, "N", "コード区分", "code division (0 JIS/SJIS, 1 EBCDIC)", allowed=("0", "1")),
        Field("consignor_code", 5, 10, "N", "委託者コード", "consignor code"),
        Field("consignor_name", 15, 40, "C", "委託者名", "consignor name"),
        Field("debit_date", 55, 4, "N", "引落日", "debit date (MMDD)", date="mmdd"),
        Field("bank_code", 59, 4, "N", "取引金融機関番号", "consignor's bank code", lookup="bank"),
        Field("bank_name", 63, 15, "C", "取引金融機関名", "bank name"),
        Field("branch_code", 78, 3, "N", "取引支店番号", "branch code", lookup="branch"),
        Field("branch_name", 81, 15, "C", "取引支店名", "branch name"),
        Field("account_type", 96, 1, "N", "預金種目(委託者)", "consignor's account type", allowed=("1", "2", "9")),
        Field("account_number", 97, 7, "N", "口座番号(委託者)", "consignor's account number"),
        Field("dummy", 104, 17, "C", "ダミー", "dummy", dummy=True),
    ),
)
DATA = RecordKind(
    "2",
    "data",
    "データレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("2",)),
        Field("bank_code", 2, 4, "N", "引落金融機関番号", "payer's bank code", lookup="bank"),
        Field("bank_name", 6, 15, "C", "引落金融機関名", "payer's bank name"),
        Field("branch_code", 21, 3, "N", "引落支店番号", "payer's branch code", lookup="branch"),
        Field("branch_name", 24, 15, "C", "引落支店名", "payer's branch name"),
        Field("dummy_1", 39, 4, "C", "ダミー", "dummy", dummy=True),
        Field("account_type", 43, 1, "N", "預金種目", "account type", allowed=tuple(ACCOUNT_TYPES)),
        Field("account_number", 44, 7, "N", "口座番号", "account number"),
        Field("holder_name", 51, 30, "C", "預金者名", "account holder name"),
        Field("amount", 81, 10, "N", "引落金額", "amount (yen)", numeric=True),
        Field("new_code", 91, 1, "N", "新規コード", "new code", allowed=tuple(NEW_CODES)),
        Field("customer_number", 92, 20, "N", "顧客番号", "customer number"),
        Field("result_code", 112, 1, "N", "振替結果コード", "result code", allowed=tuple(RESULT_CODES)),
        Field("dummy_2", 113, 8, "C", "ダミー", "dummy", dummy=True),
    ),
)
TRAILER = RecordKind(
    "8",
    "trailer",
    "トレーラーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("8",)),
        Field("total_count", 2, 6, "N", "合計件数", "total count", numeric=True),
        Field("total_amount", 8, 12, "N", "合計金額", "total amount", numeric=True),
        Field("transferred_count", 20, 6, "N", "振替済件数", "transferred count", numeric=True),
        Field("transferred_amount", 26, 12, "N", "振替済金額", "transferred amount", numeric=True),
        Field("failed_count", 38, 6, "N", "振替不能件数", "failed count", numeric=True),
        Field("failed_amount", 44, 12, "N", "振替不能金額", "failed amount", numeric=True),
        Field("dummy", 56, 65, "C", "ダミー", "dummy", dummy=True),
    ),
)
END = end_record(120)

LAYOUT = Layout(
    name=NAME,
    ja="預金口座振替 (全銀協 種別コード91)",
    en="Zengin direct debit (type code 91)",
    record_length=120,
    kinds=(HEADER, DATA, TRAILER, END),
    follows=ZENGIN_ORDER,
    totals=(
        Total("total_count", "count"),
        Total("total_amount", "sum", "amount"),
        Total("transferred_count", "count", where=("result_code", "==", "0"), mode="result"),
        Total("transferred_amount", "sum", "amount", where=("result_code", "==", "0"), mode="result"),
        Total("failed_count", "count", where=("result_code", "!=", "0"), mode="result"),
        Total("failed_amount", "sum", "amount", where=("result_code", "!=", "0"), mode="result"),
    ),
    extra={
        "result_marker": "result_code",
        "encoding_field": "code_division",
        "amount_field": "amount",
        "summary_by": ("result_code", "bank_code"),
        "signature": ("type_code", "code_division"),
    },
)
LAYOUT.check()

_face = base.face(LAYOUT)
parse = _face.parse
validate = _face.validate
iter_records = _face.iter_records
looks_like = _face.looks_like


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
