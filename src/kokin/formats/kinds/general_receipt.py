"""General collection data, 汎用収納データ (収入済データ ②): kokin's default layout, 種別コード 62.

One record per paid slip without a Pay-easy number — read by OCR or keyed in by hand (手書) at the
collecting bank. No public layout exists, so kokin defines this one in the Zengin family: 200-byte
cp932 records (or EBCDIC kana when code_division is 1), header (データ区分 1), data (2), trailer (8),
end (9). The byte table is in ``docs/formats/general-receipt.md``.

The 清掃リサイクル課 waste-fee variant (``general-receipt-waste``, :data:`WASTE_LAYOUT`) is the same
layout with 徴収金額, 委託手数料額 and 納付者名 defined inside the data record's reserve area and
業務区分 (``variant``) ``1`` in the header; :data:`waste` is its module face.

>>> header = {"municipality_code": "131105", "municipality_name": "ﾃﾞﾓｸ", "creation_date": "20260527",
...           "bank_code": "0001", "branch_code": "001"}
>>> slip = {"item_code": "11", "assessment_year": "2026", "instalment": "03", "notice_number": "2026000123",
...         "billed_amount": 12500, "amount": 12500, "late_charge": 0, "collecting_bank_code": "0005",
...         "collecting_branch_code": "001", "payment_date": "20260525", "slip_kind": "1", "payment_kind": "1"}
>>> raw = build([{"header": header, "records": [slip]}])
>>> parsed = parse(raw)
>>> parsed.report.ok, parsed.batches()[0]["trailer"]["total_amount"]
(True, 12500)
>>> fee = {**slip, "item_code": "31", "instalment": "01", "amount": 1800, "collected_amount": 2000,
...        "commission_amount": 200, "payer_name": "ﾔﾏﾀﾞ ﾀﾛｳ"}
>>> raw = waste.build([{"header": header, "records": [fee]}])
>>> looks_like(raw)[0], waste.looks_like(raw)[0]
(False, True)
>>> waste.parse(raw).batches()[0]["records"][0]["payer_name"]
'ﾔﾏﾀﾞ ﾀﾛｳ'
"""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType

from kokin.formats import base
from kokin.formats.kinds._zengin import (
    LATE_CHARGE,
    SLIP_PAID,
    TOTAL_LATE_CHARGE,
    amount,
    collection_data,
    collection_header,
    field,
    municipality,
    total,
    trailer,
    zengin_layout,
)
from kokin.formats.layout import Total, override
from kokin.formats.summary import summary as summary

NAME = "general-receipt"
WASTE_NAME = "general-receipt-waste"
TYPE_CODE = "62"
#: 科目コード of the general layout (items.ITEMS; 特別徴収 has its own layout, 31 the waste variant)
ITEM_CODES = ("01", "03", "11", "12", "21")
WASTE_ITEM_CODES = ("31",)
#: the reserve areas the waste variant defines its fields in
RESERVE = field("dummy", 0, "C", "ダミー (予備)", "dummy (reserve)", dummy=True)

HEADER = collection_header(
    200,
    TYPE_CODE,
    municipality(),
    field("variant", 1, "N", "業務区分", "variant (0 general, 1 waste fee)", allowed=("0",)),
)
DATA = collection_data(
    200,
    ITEM_CODES,
    field("notice_number", 16, "N", "通知書番号", "notice number"),
    amount("請求金額", "amount billed (yen)", "billed_amount"),
    amount("税額(納付額)", "amount paid (yen)"),
    LATE_CHARGE,
    *SLIP_PAID,
    rest=RESERVE,
)
TRAILER = trailer(
    200,
    total("total_billed_amount", "請求金額合計", "total billed"),
    total("total_amount", "税額(納付額)合計", "total amount paid"),
    TOTAL_LATE_CHARGE,
    rest=RESERVE,
)
LAYOUT = zengin_layout(
    NAME,
    "汎用収納データ (種別コード62)",
    "General collection data (type code 62)",
    (HEADER, DATA, TRAILER),
    summary_by=("item_code", "collecting_bank_code"),
    signature=("type_code", "code_division", "variant"),
)

#: 清掃リサイクル課 waste-fee variant: the general layout with fields defined in its reserve areas
WASTE_LAYOUT = replace(
    override(
        LAYOUT,
        {
            "records": {
                "header": {"fields": {"variant": {"allowed": ["1"]}}},
                "data": {
                    "fields": {
                        "item_code": {"allowed": list(WASTE_ITEM_CODES)},
                        "amount": {"ja": "納付金額", "en": "amount paid in (yen)"},
                        "collected_amount": {
                            "start": 79,
                            "length": 10,
                            "type": "N",
                            "numeric": True,
                            "ja": "徴収金額",
                            "en": "amount collected from the payer (yen)",
                        },
                        "commission_amount": {
                            "start": 89,
                            "length": 10,
                            "type": "N",
                            "numeric": True,
                            "ja": "委託手数料額",
                            "en": "collection agent's commission (yen)",
                        },
                        "payer_name": {"start": 99, "length": 40, "type": "C", "ja": "納付者名", "en": "payer name"},
                        "dummy": {"start": 139, "length": 62},
                    }
                },
                "trailer": {
                    "fields": {
                        "total_amount": {"ja": "納付金額合計", "en": "total amount paid in"},
                        "total_collected_amount": {
                            "start": 44,
                            "length": 12,
                            "type": "N",
                            "numeric": True,
                            "ja": "徴収金額合計",
                            "en": "total collected",
                        },
                        "total_commission_amount": {
                            "start": 56,
                            "length": 12,
                            "type": "N",
                            "numeric": True,
                            "ja": "委託手数料額合計",
                            "en": "total commission",
                        },
                        "dummy": {"start": 68, "length": 133},
                    }
                },
            }
        },
    ),
    name=WASTE_NAME,
    ja="汎用収納データ 廃棄物処理手数料 (種別コード62・業務区分1)",
    en="General collection data, waste disposal fees (type code 62, variant 1)",
    totals=(
        *LAYOUT.totals,
        Total("total_collected_amount", "sum", "collected_amount"),
        Total("total_commission_amount", "sum", "commission_amount"),
    ),
)
WASTE_LAYOUT.check()

parse, validate, iter_records, looks_like = base.face(LAYOUT)
build = base.numbered_build(LAYOUT, "type_code 62, variant; the waste variant's item_code 31")

#: the waste-fee variant with the face of a format module (``waste.parse``, ``waste.build``, …)
waste = ModuleType(f"{__name__}.waste", "汎用収納データ 廃棄物処理手数料 / general collection data, waste fees.")
waste.__dict__.update(
    NAME=WASTE_NAME,
    LAYOUT=WASTE_LAYOUT,
    ITEM_CODES=WASTE_ITEM_CODES,
    **base.face(WASTE_LAYOUT)._asdict(),
    build=base.numbered_build(WASTE_LAYOUT, "type_code 62, variant 1, item_code 31"),
    summary=summary,
)
