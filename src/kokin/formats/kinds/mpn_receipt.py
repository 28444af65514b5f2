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

from kokin.formats import base
from kokin.formats.kinds._zengin import (
    COLLECTING_BANK,
    PAYMENT_DATE,
    PAYMENT_KIND,
    amount,
    collection_data,
    collection_header,
    field,
    total,
    trailer,
    zengin_layout,
)
from kokin.formats.summary import summary as summary

NAME = "mpn-receipt"
TYPE_CODE = "61"
#: 科目コード that a Pay-easy notice may carry (items.ITEMS; 特別徴収 and fees have their own slips)
ITEM_CODES = ("01", "03", "11", "12", "21")
REPORT_KINDS = {"1": ("速報", "preliminary (same-day) report"), "2": ("確報", "final report")}
CHANNELS = {
    "1": ("窓口", "bank counter"),
    "2": ("ATM", "ATM"),
    "3": ("インターネットバンキング", "internet banking"),
    "4": ("モバイルバンキング", "mobile banking"),
    "9": ("その他", "other"),
}

HEADER = collection_header(
    200,
    TYPE_CODE,
    (
        field("collector_number", 5, "N", "収納機関番号", "MPN collector number"),
        field("collector_name", 40, "C", "収納機関名", "collector name"),
    ),
    field(
        "report_kind",
        1,
        "N",
        "速報・確報区分",
        "preliminary or final",
        allowed=tuple(REPORT_KINDS),
        codes={code: ja for code, (ja, _) in REPORT_KINDS.items()},
    ),
)
DATA = collection_data(
    200,
    ITEM_CODES,
    field("payment_number", 20, "N", "納付番号", "payment number"),
    field("check_number", 6, "N", "確認番号", "check number"),
    amount("請求金額", "amount billed and paid (yen)"),
    COLLECTING_BANK,
    PAYMENT_DATE,
    PAYMENT_KIND,
    field(
        "channel",
        1,
        "N",
        "収納チャネル",
        "payment channel",
        allowed=tuple(CHANNELS),
        codes={code: ja for code, (ja, _) in CHANNELS.items()},
    ),
)
TRAILER = trailer(200, total("total_amount", "合計金額", "total amount"))
LAYOUT = zengin_layout(
    NAME,
    "MPN済通収納データ (種別コード61)",
    "MPN (Pay-easy) paid notices (type code 61)",
    (HEADER, DATA, TRAILER),
    summary_by=("item_code", "collecting_bank_code"),
)

parse, validate, iter_records, looks_like = base.face(LAYOUT)
build = base.numbered_build(LAYOUT, "type_code 61")
