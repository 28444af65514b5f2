"""Special-collection receipts, 特別徴収収納データ (収入済データ ③): kokin's default layout, 種別コード 63.

One record per 特別徴収 payment slip (納入書): the resident tax a withholding employer deducted from
salaries and paid in for one month (納入月, kept in 期別), read by OCR or keyed in by hand. No public
layout exists, so kokin defines this one in the Zengin family: 200-byte cp932 records (or EBCDIC kana
when code_division is 1), header (データ区分 1), data (2), trailer (8), end (9). The byte table is in
``docs/formats/special-receipt.md``.

>>> header = {"municipality_code": "131105", "municipality_name": "ﾃﾞﾓｸ", "creation_date": "20260527",
...           "bank_code": "0001", "branch_code": "001"}
>>> paid = {"assessment_year": "2026", "instalment": "05", "employer_number": "12345678",
...         "amount": 184500, "retirement_tax": 0, "late_charge": 0, "collecting_bank_code": "0005",
...         "collecting_branch_code": "001", "payment_date": "20260511", "slip_kind": "1", "payment_kind": "1"}
>>> raw = build([{"header": header, "records": [paid]}])
>>> record = parse(raw).batches()[0]["records"][0]
>>> record["item_code"], record["employer_number"], record["amount"]
('02', '000012345678', 184500)
>>> bad = bytearray(raw)
>>> bad[202 + 13 : 202 + 15] = b"13"  # 納入月 is 1-12
>>> fault = validate(bytes(bad)).errors[0]
>>> fault.record, fault.field, fault.message_en
(2, 'instalment', "instalment 13 is outside 1-12 allowed for item_code '02'")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kokin.formats import base, items
from kokin.formats.build import build_numbered
from kokin.formats.layout import ZENGIN_ORDER, Field, Layout, RecordKind, Total, end_record
from kokin.formats.summary import summary as summary

NAME = "special-receipt"
TYPE_CODE = "63"
#: 住民税(特別徴収) only; its 期別 is the payment month 1–12 (items.ITEMS["02"])
ITEM_CODES = ("02",)
SLIP_KINDS = {"1": ("OCR分", "read by OCR"), "2": ("手書分", "handwritten, keyed in")}
PAYMENT_KINDS = {"1": ("現年度分", "current year"), "2": ("滞納繰越分", "arrears carried forward")}

HEADER = RecordKind(
    "1",
    "header",
    "ヘッダーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("1",)),
        Field("type_code", 2, 2, "N", "種別コード", "type code", allowed=(TYPE_CODE,)),
        Field("code_division", 4, 1, "N", "コード区分", "code division (0 JIS/SJIS, 1 EBCDIC)", allowed=("0", "1")),
        Field("municipality_code", 5, 6, "N", "地方公共団体コード", "local government code"),
        Field("municipality_name", 11, 40, "C", "地方公共団体名", "local government name"),
        Field("creation_date", 51, 8, "N", "作成日", "creation date", date="yyyymmdd"),
        Field("bank_code", 59, 4, "N", "指定金融機関番号", "designated bank code", lookup="bank"),
        Field("bank_name", 63, 15, "C", "指定金融機関名", "designated bank name"),
        Field("branch_code", 78, 3, "N", "取扱店番号", "designated bank's branch code", lookup="branch"),
        Field("branch_name", 81, 15, "C", "取扱店名", "branch name"),
        Field("file_number", 96, 3, "N", "ファイル通番", "file sequence number", numeric=True),
        Field("dummy", 99, 102, "C", "ダミー", "dummy", dummy=True),
    ),
)
DATA = RecordKind(
    "2",
    "data",
    "データレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("2",)),
        Field("sequence_number", 2, 6, "N", "連番", "record sequence number", numeric=True),
        Field("item_code", 8, 2, "N", "科目コード", "revenue item code", allowed=ITEM_CODES),
        Field("assessment_year", 10, 4, "N", "調定年度", "assessment (fiscal) year", date="fiscal_year"),
        Field(
            "instalment",
            14,
            2,
            "N",
            "期別(納入月)",
            "instalment (payment month)",
            ranges=items.instalment_ranges(),
            range_key="item_code",
        ),
        Field("employer_number", 16, 12, "N", "特別徴収義務者指定番号", "withholding employer number"),
        Field("amount", 28, 10, "N", "税額", "tax on salaries (yen)", numeric=True),
        Field("retirement_tax", 38, 10, "N", "退職税額", "retirement-income tax (yen)", numeric=True),
        Field("late_charge", 48, 10, "N", "延滞金額", "late charge (yen)", numeric=True),
        Field("collecting_bank_code", 58, 4, "N", "収納金融機関コード", "collecting bank code", lookup="bank"),
        Field("collecting_branch_code", 62, 3, "N", "収納店舗コード", "collecting branch code", lookup="branch"),
        Field("payment_date", 65, 8, "N", "納付年月日", "payment date", date="yyyymmdd"),
        Field("slip_kind", 73, 1, "N", "OCR・手書区分", "OCR or handwritten", allowed=tuple(SLIP_KINDS)),
        Field("payment_kind", 74, 1, "N", "納付区分", "payment kind", allowed=tuple(PAYMENT_KINDS)),
        Field("dummy", 75, 126, "C", "ダミー", "dummy", dummy=True),
    ),
)
TRAILER = RecordKind(
    "8",
    "trailer",
    "トレーラーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("8",)),
        Field("total_count", 2, 6, "N", "合計件数", "total count", numeric=True),
        Field("total_amount", 8, 12, "N", "税額合計", "total tax", numeric=True),
        Field("total_retirement_tax", 20, 12, "N", "退職税額合計", "total retirement-income tax", numeric=True),
        Field("total_late_charge", 32, 12, "N", "延滞金額合計", "total late charges", numeric=True),
        Field("dummy", 44, 157, "C", "ダミー", "dummy", dummy=True),
    ),
)
END = end_record(200)

LAYOUT = Layout(
    name=NAME,
    ja="特別徴収収納データ (種別コード63)",
    en="Special-collection receipts (type code 63)",
    record_length=200,
    kinds=(HEADER, DATA, TRAILER, END),
    follows=ZENGIN_ORDER,
    totals=(
        Total("total_count", "count"),
        Total("total_amount", "sum", "amount"),
        Total("total_retirement_tax", "sum", "retirement_tax"),
        Total("total_late_charge", "sum", "late_charge"),
    ),
    extra={
        "encoding_field": "code_division",
        "amount_field": "amount",
        "summary_by": ("instalment", "collecting_bank_code"),
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
) -> bytes:
    """Build a file from ``[{"header": {...}, "records": [...]}]``; trailers are computed.

    Fields that ``layout`` allows one value only (type_code 63, item_code 02), code_division (0),
    file_number (1) and each record's sequence_number (1, 2, … per batch) are filled in unless given.
    A value that does not fit raises :class:`~kokin.formats.errors.FormatError` naming the record and
    the field. code_division 1 writes EBCDIC.
    """
    return build_numbered(batches, layout=layout, separator=separator, eof_mark=eof_mark)
