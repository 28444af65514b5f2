"""Special-collection breakdown, 特別徴収納入明細データ (収入済データ ④): kokin's default layout, 種別コード 64.

One record per employer per special-collection payment that an agent bank (収納代理金融機関) took in
on the municipality's behalf: which bank, which aggregating (とりまとめ) and handling (取扱) branches,
the withholding employer's number, name, postal code and address, and the amounts. Names and
addresses are full-width kanji (``K`` fields, JIS X 0208), so the record is 400 bytes; cp932 only
(full-width text has no EBCDIC kana form, so code_division is always 0). Header (データ区分 1), data
(2), trailer (8), end (9) as in the Zengin family. The byte table is in
``docs/formats/special-breakdown.md``.

>>> header = {"municipality_code": "131105", "municipality_name": "デモ区", "creation_date": "20260527",
...           "bank_code": "0001", "bank_name": "みずほ銀行", "branch_code": "001", "branch_name": "東京営業部"}
>>> detail = {"assessment_year": "2026", "instalment": "05", "agent_bank_code": "0005",
...           "agent_bank_name": "三菱ＵＦＪ銀行", "aggregating_branch_code": "001", "aggregating_branch_name": "本店",
...           "handling_branch_code": "001", "handling_branch_name": "本店", "employer_number": "12345678",
...           "employer_name": "株式会社山田建設", "postal_code": "1520001",
...           "address": "東京都デモ区中央町一丁目２番３号", "amount": 184500, "retirement_tax": 0, "late_charge": 0,
...           "collecting_bank_code": "0001", "payment_date": "20260511"}
>>> raw = build([{"header": header, "records": [detail]}])
>>> raw[400:402], len(raw)
(b'\\r\\n', 1608)
>>> record = parse(raw).batches()[0]["records"][0]
>>> record["employer_name"], record["address"]
('株式会社山田建設', '東京都デモ区中央町一丁目２番３号')
>>> bad = raw.replace("山田".encode("cp932"), "髙田".encode("cp932"))  # 髙 is 0xFBFC, an IBM extension
>>> fault = validate(bad).errors[0]
>>> fault.record, fault.field, fault.message_en
(2, 'employer_name', "employer_name: byte 9: '髙' is a machine-dependent character; use '高' instead")
"""

from __future__ import annotations

from kokin.formats import base
from kokin.formats.kinds._zengin import (
    COLLECTING_BANK,
    EMPLOYER_NUMBER,
    LATE_CHARGE,
    PAYMENT_DATE,
    RETIREMENT_TAX,
    SPECIAL_TOTALS,
    amount,
    collection_data,
    collection_header,
    field,
    municipality,
    trailer,
    zengin_layout,
)
from kokin.formats.summary import summary as summary

NAME = "special-breakdown"
TYPE_CODE = "64"
#: 住民税(特別徴収) only; its 期別 is the payment month 1–12 (items.ITEMS["02"])
ITEM_CODES = ("02",)

HEADER = collection_header(400, TYPE_CODE, municipality(wide=True), wide=True)
DATA = collection_data(
    400,
    ITEM_CODES,
    field("agent_bank_code", 4, "N", "収納代理金融機関コード", "agent (collecting) bank code", lookup="bank"),
    field("agent_bank_name", 30, "K", "収納代理金融機関名", "agent bank name"),
    field(
        "aggregating_branch_code",
        3,
        "N",
        "とりまとめ店舗コード",
        "agent bank's aggregating branch code",
        lookup="branch",
    ),
    field("aggregating_branch_name", 30, "K", "とりまとめ店舗名", "aggregating branch name"),
    field("handling_branch_code", 3, "N", "取扱店舗コード", "handling branch code", lookup="branch"),
    field("handling_branch_name", 30, "K", "取扱店舗名", "handling branch name"),
    EMPLOYER_NUMBER,
    field("employer_name", 60, "K", "特別徴収義務者名", "withholding employer name"),
    field("postal_code", 7, "N", "郵便番号", "employer's postal code"),
    field("address", 120, "K", "特別徴収義務者住所", "employer's address"),
    amount("税額", "tax on salaries (yen)"),
    RETIREMENT_TAX,
    LATE_CHARGE,
    COLLECTING_BANK,
    PAYMENT_DATE,
    payment_month=True,
)
TRAILER = trailer(400, *SPECIAL_TOTALS)
LAYOUT = zengin_layout(
    NAME,
    "特別徴収納入明細データ (種別コード64)",
    "Special-collection payment breakdown (type code 64)",
    (HEADER, DATA, TRAILER),
    summary_by=("agent_bank_code", "collecting_bank_code"),
)

parse, validate, iter_records, looks_like = base.face(LAYOUT)
build = base.numbered_build(
    LAYOUT,
    "type_code 64, item_code 02",
    (
        "Full-width fields take text as :func:`kokin.formats.kanji.to_field_text` makes it (half-width"
        " letters, digits and kana become full width); a machine-dependent character is refused too."
    ),
)
