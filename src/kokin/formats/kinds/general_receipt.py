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

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import ModuleType
from typing import Any

from kokin.formats import base, items
from kokin.formats.build import build_numbered
from kokin.formats.layout import ZENGIN_ORDER, Field, Layout, RecordKind, Total, end_record, override
from kokin.formats.summary import summary as summary

NAME = "general-receipt"
WASTE_NAME = "general-receipt-waste"
TYPE_CODE = "62"
#: 科目コード of the general layout (items.ITEMS; 特別徴収 has its own layout, 31 the waste variant)
ITEM_CODES = ("01", "03", "11", "12", "21")
WASTE_ITEM_CODES = ("31",)
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
        Field("variant", 96, 1, "N", "業務区分", "variant (0 general, 1 waste fee)", allowed=("0",)),
        Field("file_number", 97, 3, "N", "ファイル通番", "file sequence number", numeric=True),
        Field("dummy", 100, 101, "C", "ダミー", "dummy", dummy=True),
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
            "期別",
            "instalment",
            ranges=items.instalment_ranges(),
            range_key="item_code",
        ),
        Field("notice_number", 16, 16, "N", "通知書番号", "notice number"),
        Field("billed_amount", 32, 10, "N", "請求金額", "amount billed (yen)", numeric=True),
        Field("amount", 42, 10, "N", "税額(納付額)", "amount paid (yen)", numeric=True),
        Field("late_charge", 52, 10, "N", "延滞金額", "late charge (yen)", numeric=True),
        Field("collecting_bank_code", 62, 4, "N", "収納金融機関コード", "collecting bank code", lookup="bank"),
        Field("collecting_branch_code", 66, 3, "N", "収納店舗コード", "collecting branch code", lookup="branch"),
        Field("payment_date", 69, 8, "N", "納付年月日", "payment date", date="yyyymmdd"),
        Field("slip_kind", 77, 1, "N", "OCR・手書区分", "OCR or handwritten", allowed=tuple(SLIP_KINDS)),
        Field("payment_kind", 78, 1, "N", "納付区分", "payment kind", allowed=tuple(PAYMENT_KINDS)),
        Field("dummy", 79, 122, "C", "ダミー (予備)", "dummy (reserve)", dummy=True),
    ),
)
TRAILER = RecordKind(
    "8",
    "trailer",
    "トレーラーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("8",)),
        Field("total_count", 2, 6, "N", "合計件数", "total count", numeric=True),
        Field("total_billed_amount", 8, 12, "N", "請求金額合計", "total billed", numeric=True),
        Field("total_amount", 20, 12, "N", "税額(納付額)合計", "total amount paid", numeric=True),
        Field("total_late_charge", 32, 12, "N", "延滞金額合計", "total late charges", numeric=True),
        Field("dummy", 44, 157, "C", "ダミー (予備)", "dummy (reserve)", dummy=True),
    ),
)
END = end_record(200)

LAYOUT = Layout(
    name=NAME,
    ja="汎用収納データ (種別コード62)",
    en="General collection data (type code 62)",
    record_length=200,
    kinds=(HEADER, DATA, TRAILER, END),
    follows=ZENGIN_ORDER,
    totals=(
        Total("total_count", "count"),
        Total("total_billed_amount", "sum", "billed_amount"),
        Total("total_amount", "sum", "amount"),
        Total("total_late_charge", "sum", "late_charge"),
    ),
    extra={
        "encoding_field": "code_division",
        "amount_field": "amount",
        "summary_by": ("item_code", "collecting_bank_code"),
        "signature": ("type_code", "code_division", "variant"),
    },
)
LAYOUT.check()

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

    Header and data fields that ``layout`` allows one value only (type_code 62, variant, the waste
    variant's item_code 31) are filled in, as are code_division (0), file_number (1) and each record's
    sequence_number (1, 2, … per batch), unless given. A value that does not fit raises
    :class:`~kokin.formats.errors.FormatError` naming the record and the field. code_division 1 writes EBCDIC.
    """
    return build_numbered(batches, layout=layout, separator=separator, eof_mark=eof_mark)


def _waste_build(
    batches: Sequence[Mapping[str, Any]],
    *,
    layout: Layout = WASTE_LAYOUT,
    separator: str = "crlf",
    eof_mark: bool = False,
) -> bytes:
    return build(batches, layout=layout, separator=separator, eof_mark=eof_mark)


_waste_build.__doc__ = build.__doc__


def _waste_module() -> ModuleType:
    face = base.face(WASTE_LAYOUT)
    module = ModuleType(f"{__name__}.waste", "汎用収納データ 廃棄物処理手数料 / general collection data, waste fees.")
    module.__dict__.update(
        NAME=WASTE_NAME,
        LAYOUT=WASTE_LAYOUT,
        ITEM_CODES=WASTE_ITEM_CODES,
        parse=face.parse,
        validate=face.validate,
        iter_records=face.iter_records,
        looks_like=face.looks_like,
        build=_waste_build,
        summary=summary,
    )
    return module


#: the waste-fee variant with the face of a format module (``waste.parse``, ``waste.build``, …)
waste = _waste_module()
