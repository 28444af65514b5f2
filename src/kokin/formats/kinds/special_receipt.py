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

from kokin.formats import base
from kokin.formats.kinds._zengin import (
    EMPLOYER_NUMBER,
    LATE_CHARGE,
    RETIREMENT_TAX,
    SLIP_PAID,
    SPECIAL_TOTALS,
    amount,
    collection_data,
    collection_header,
    municipality,
    trailer,
    zengin_layout,
)
from kokin.formats.summary import summary as summary

NAME = "special-receipt"
TYPE_CODE = "63"
#: 住民税(特別徴収) only; its 期別 is the payment month 1–12 (items.ITEMS["02"])
ITEM_CODES = ("02",)

HEADER = collection_header(200, TYPE_CODE, municipality())
DATA = collection_data(
    200,
    ITEM_CODES,
    EMPLOYER_NUMBER,
    amount("税額", "tax on salaries (yen)"),
    RETIREMENT_TAX,
    LATE_CHARGE,
    *SLIP_PAID,
    payment_month=True,
)
TRAILER = trailer(200, *SPECIAL_TOTALS)
LAYOUT = zengin_layout(
    NAME,
    "特別徴収収納データ (種別コード63)",
    "Special-collection receipts (type code 63)",
    (HEADER, DATA, TRAILER),
    summary_by=("instalment", "collecting_bank_code"),
)

parse, validate, iter_records, looks_like = base.face(LAYOUT)
build = base.numbered_build(LAYOUT, "type_code 63, item_code 02")
