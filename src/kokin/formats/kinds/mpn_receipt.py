"""MPN paid notices, MPN済通収納データ (Pay-easy 収入済データ ①): kokin's default layout, 種別コード 61.

One record per payment made through the Multi-Payment Network (Pay-easy) at a bank counter, ATM or
internet banking, keyed by 収納機関番号 + 納付番号 + 確認番号. No public layout exists (the designated
bank defines it in its contract), so kokin defines this one in the Zengin family: 200-byte cp932
records (or EBCDIC kana when code_division is 1), header (データ区分 1), data (2), trailer (8), end (9).
A bank profile changes it without code (e.g. ``date_style = "wareki"``). The byte table is in
``docs/formats/mpn-receipt.md``.

>>> header = {"collector_number": "13110", "collector_name": "ﾃﾞﾓｸ", "creation_date": "20260527",
...           "bank_code": "0001", "branch_code": "001", "report_kind": "2"}
>>> paid = {"item_code": "03", "assessment_year": "2026", "instalment": "01", "payment_number": "1234567890",
...         "check_number": "4321", "amount": 10800, "collecting_bank_code": "0005",
...         "payment_date": "20260525", "payment_kind": "1", "channel": "3"}
>>> raw = build([{"header": header, "records": [paid]}])
>>> raw[200:202], len(raw)
(b'\\r\\n', 808)
>>> parsed = parse(raw)
>>> parsed.report.ok, parsed.batches()[0]["records"][0]["payment_number"]
(True, '00000000001234567890')
>>> bad = bytearray(raw)
>>> bad[202 + 13 : 202 + 15] = b"02"  # 軽自動車税 has one instalment only
>>> fault = validate(bytes(bad)).errors[0]
>>> fault.record, fault.field, fault.message_en
(2, 'instalment', "instalment 2 is outside 1-1 allowed for item_code '03'")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kokin.formats import base, items
from kokin.formats.build import build_numbered
from kokin.formats.layout import ZENGIN_ORDER, Field, Layout, RecordKind, Total, end_record
from kokin.formats.summary import summary as summary

NAME = "mpn-receipt"
TYPE_CODE = "61"
#: 科目コード that a Pay-easy notice may carry (items.ITEMS; 特別徴収 and fees have their own slips)
ITEM_CODES = ("01", "03", "11", "12", "21")
REPORT_KINDS = {"1": ("速報", "preliminary (same-day) report"), "2": ("確報", "final report")}
PAYMENT_KINDS = {"1": ("現年度分", "current year"), "2": ("滞納繰越分", "arrears carried forward")}
CHANNELS = {
    "1": ("窓口", "bank counter"),
    "2": ("ATM", "ATM"),
    "3": ("インターネットバンキング", "internet banking"),
    "4": ("モバイルバンキング", "mobile banking"),
    "9": ("その他", "other"),
}

HEADER = RecordKind(
    "1",
    "header",
    "ヘッダーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("1",)),
        Field("type_code", 2, 2, "N", "種別コード", "type code", allowed=(TYPE_CODE,)),
        Field("code_division", 4, 1, "N", "コード区分", "code division (0 JIS/SJIS, 1 EBCDIC)", allowed=("0", "1")),
        Field("collector_number", 5, 5, "N", "収納機関番号", "MPN collector number"),
        Field("collector_name", 10, 40, "C", "収納機関名", "collector name"),
        Field("creation_date", 50, 8, "N", "作成日", "creation date", date="yyyymmdd"),
        Field("bank_code", 58, 4, "N", "指定金融機関番号", "designated bank code", lookup="bank"),
        Field("bank_name", 62, 15, "C", "指定金融機関名", "designated bank name"),
        Field("branch_code", 77, 3, "N", "取扱店番号", "designated bank's branch code", lookup="branch"),
        Field("branch_name", 80, 15, "C", "取扱店名", "branch name"),
        Field("report_kind", 95, 1, "N", "速報・確報区分", "preliminary or final", allowed=tuple(REPORT_KINDS)),
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
            "期別",
            "instalment",
            ranges=items.instalment_ranges(),
            range_key="item_code",
        ),
        Field("payment_number", 16, 20, "N", "納付番号", "payment number"),
        Field("check_number", 36, 6, "N", "確認番号", "check number"),
        Field("amount", 42, 10, "N", "請求金額", "amount billed and paid (yen)", numeric=True),
        Field("collecting_bank_code", 52, 4, "N", "収納金融機関コード", "collecting bank code", lookup="bank"),
        Field("payment_date", 56, 8, "N", "納付年月日", "payment date", date="yyyymmdd"),
        Field("payment_kind", 64, 1, "N", "納付区分", "payment kind", allowed=tuple(PAYMENT_KINDS)),
        Field("channel", 65, 1, "N", "収納チャネル", "payment channel", allowed=tuple(CHANNELS)),
        Field("dummy", 66, 135, "C", "ダミー", "dummy", dummy=True),
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
        Field("dummy", 20, 181, "C", "ダミー", "dummy", dummy=True),
    ),
)
END = end_record(200)

LAYOUT = Layout(
    name=NAME,
    ja="MPN済通収納データ (種別コード61)",
    en="MPN (Pay-easy) paid notices (type code 61)",
    record_length=200,
    kinds=(HEADER, DATA, TRAILER, END),
    follows=ZENGIN_ORDER,
    totals=(Total("total_count", "count"), Total("total_amount", "sum", "amount")),
    extra={
        "encoding_field": "code_division",
        "amount_field": "amount",
        "summary_by": ("item_code", "collecting_bank_code"),
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

    Fields that ``layout`` allows one value only (type_code 61), code_division (0), file_number (1)
    and each record's sequence_number (1, 2, … per batch) are filled in unless given. A value that
    does not fit raises :class:`~kokin.formats.errors.FormatError` naming the record and the field.
    code_division 1 writes EBCDIC.
    """
    return build_numbered(batches, layout=layout, separator=separator, eof_mark=eof_mark)
