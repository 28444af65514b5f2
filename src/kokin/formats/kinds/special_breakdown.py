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

from collections.abc import Mapping, Sequence
from typing import Any

from kokin.formats import base, items
from kokin.formats.build import build_numbered
from kokin.formats.layout import ZENGIN_ORDER, Field, Layout, RecordKind, Total, end_record
from kokin.formats.summary import summary as summary

NAME = "special-breakdown"
TYPE_CODE = "64"
#: 住民税(特別徴収) only; its 期別 is the payment month 1–12 (items.ITEMS["02"])
ITEM_CODES = ("02",)

HEADER = RecordKind(
    "1",
    "header",
    "ヘッダーレコード",
    (
        Field("data_kind", 1, 1, "N", "データ区分", "data kind", allowed=("1",)),
        Field("type_code", 2, 2, "N", "種別コード", "type code", allowed=(TYPE_CODE,)),
        Field("code_division", 4, 1, "N", "コード区分", "code division (0 JIS/SJIS only)", allowed=("0",)),
        Field("municipality_code", 5, 6, "N", "地方公共団体コード", "local government code"),
        Field("municipality_name", 11, 40, "K", "地方公共団体名", "local government name"),
        Field("creation_date", 51, 8, "N", "作成日", "creation date", date="yyyymmdd"),
        Field("bank_code", 59, 4, "N", "指定金融機関番号", "designated bank code", lookup="bank"),
        Field("bank_name", 63, 30, "K", "指定金融機関名", "designated bank name"),
        Field("branch_code", 93, 3, "N", "取扱店番号", "designated bank's branch code", lookup="branch"),
        Field("branch_name", 96, 30, "K", "取扱店名", "branch name"),
        Field("file_number", 126, 3, "N", "ファイル通番", "file sequence number", numeric=True),
        Field("dummy", 129, 272, "C", "ダミー", "dummy", dummy=True),
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
        Field("agent_bank_code", 16, 4, "N", "収納代理金融機関コード", "agent (collecting) bank code", lookup="bank"),
        Field("agent_bank_name", 20, 30, "K", "収納代理金融機関名", "agent bank name"),
        Field(
            "aggregating_branch_code",
            50,
            3,
            "N",
            "とりまとめ店舗コード",
            "agent bank's aggregating branch code",
            lookup="branch",
        ),
        Field("aggregating_branch_name", 53, 30, "K", "とりまとめ店舗名", "aggregating branch name"),
        Field("handling_branch_code", 83, 3, "N", "取扱店舗コード", "handling branch code", lookup="branch"),
        Field("handling_branch_name", 86, 30, "K", "取扱店舗名", "handling branch name"),
        Field("employer_number", 116, 12, "N", "特別徴収義務者指定番号", "withholding employer number"),
        Field("employer_name", 128, 60, "K", "特別徴収義務者名", "withholding employer name"),
        Field("postal_code", 188, 7, "N", "郵便番号", "employer's postal code"),
        Field("address", 195, 120, "K", "特別徴収義務者住所", "employer's address"),
        Field("amount", 315, 10, "N", "税額", "tax on salaries (yen)", numeric=True),
        Field("retirement_tax", 325, 10, "N", "退職税額", "retirement-income tax (yen)", numeric=True),
        Field("late_charge", 335, 10, "N", "延滞金額", "late charge (yen)", numeric=True),
        Field("collecting_bank_code", 345, 4, "N", "収納金融機関コード", "collecting bank code", lookup="bank"),
        Field("payment_date", 349, 8, "N", "納付年月日", "payment date", date="yyyymmdd"),
        Field("dummy", 357, 44, "C", "ダミー", "dummy", dummy=True),
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
        Field("dummy", 44, 357, "C", "ダミー", "dummy", dummy=True),
    ),
)
END = end_record(400)

LAYOUT = Layout(
    name=NAME,
    ja="特別徴収納入明細データ (種別コード64)",
    en="Special-collection payment breakdown (type code 64)",
    record_length=400,
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
        "summary_by": ("agent_bank_code", "collecting_bank_code"),
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

    Fields that ``layout`` allows one value only (type_code 64, code_division 0, item_code 02),
    file_number (1) and each record's sequence_number (1, 2, … per batch) are filled in unless given.
    Full-width fields take text as :func:`kokin.formats.kanji.to_field_text` makes it (half-width
    letters, digits and kana become full width); a machine-dependent character or a value that does
    not fit raises :class:`~kokin.formats.errors.FormatError` naming the record and the field.
    """
    return build_numbered(batches, layout=layout, separator=separator, eof_mark=eof_mark)
