"""The field groups of the Zengin family, so that a kind lists only what is its own.

Every kind here is header (データ区分 1) / data (2) / trailer (8) / end (9) in fixed-length records
whose header opens with データ区分, 種別コード and コード区分. The collection kinds (収入済データ) share
more: the header's party, creation date and designated bank, the data records' item, fiscal year and
instalment, the trailer's count and sums, and many data fields. A record kind is written as its
fields in order (:func:`laid_out` gives them their byte positions; the rest of the record is a
dummy), so a kind's layout reads like its byte table.

>>> kind = laid_out("8", "trailer", "トレーラーレコード", 20, data_kind("8"), TOTAL_COUNT)
>>> [(f.name, f.start, f.length) for f in kind.fields]
[('data_kind', 1, 1), ('total_count', 2, 6), ('dummy', 8, 13)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from kokin.formats import items
from kokin.formats.layout import ZENGIN_ORDER, Field, FieldType, Layout, RecordKind, Total, end_record

SLIP_KINDS = {"1": ("OCR分", "read by OCR"), "2": ("手書分", "handwritten, keyed in")}
PAYMENT_KINDS = {"1": ("現年度分", "current year"), "2": ("滞納繰越分", "arrears carried forward")}


def _ja(codes: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """A code table's Japanese meanings (a field's ``codes``)."""
    return {code: ja for code, (ja, _) in codes.items()}


def field(name: str, length: int, type: FieldType, ja: str, en: str = "", **options: Any) -> Field:
    """A field whose position :func:`laid_out` gives."""
    return Field(name, 0, length, type, ja, en, **options)


#: the rest of a record: spaces (its length is what the fields before it leave)
DUMMY = field("dummy", 0, "C", "ダミー", "dummy", dummy=True)


def laid_out(
    code: str,
    name: str,
    ja: str,
    record_length: int,
    *fields: Field,
    rest: Field | None = DUMMY,
) -> RecordKind:
    """A record kind of ``fields`` one after the other from byte 1, and ``rest`` (a dummy) to the end."""
    placed: list[Field] = []
    start = 1
    for f in fields:
        placed.append(replace(f, start=start))
        start += f.length
    if rest is not None:
        placed.append(replace(rest, start=start, length=record_length - start + 1))
    return RecordKind(code, name, ja, tuple(placed))


def data_kind(code: str) -> Field:
    return field("data_kind", 1, "N", "データ区分", "data kind", allowed=(code,))


def amount(ja: str, en: str, name: str = "amount") -> Field:
    """An amount in yen, 10 digits."""
    return field(name, 10, "N", ja, en, numeric=True)


def total(name: str, ja: str, en: str, length: int = 12) -> Field:
    """A trailer total, 12 digits (a count 6)."""
    return field(name, length, "N", ja, en, numeric=True)


CODE_DIVISION = field("code_division", 1, "N", "コード区分", "code division (0 JIS/SJIS, 1 EBCDIC)", allowed=("0", "1"))
CP932_ONLY = field("code_division", 1, "N", "コード区分", "code division (0 JIS/SJIS only)", allowed=("0",))
TOTAL_COUNT = total("total_count", "合計件数", "total count", 6)
FILE_NUMBER = field("file_number", 3, "N", "ファイル通番", "file sequence number", numeric=True)
EMPLOYER_NUMBER = field("employer_number", 12, "N", "特別徴収義務者指定番号", "withholding employer number")
RETIREMENT_TAX = amount("退職税額", "retirement-income tax (yen)", "retirement_tax")
LATE_CHARGE = amount("延滞金額", "late charge (yen)", "late_charge")
COLLECTING_BANK = field("collecting_bank_code", 4, "N", "収納金融機関コード", "collecting bank code", lookup="bank")
COLLECTING_BRANCH = field("collecting_branch_code", 3, "N", "収納店舗コード", "collecting branch code", lookup="branch")
PAYMENT_DATE = field("payment_date", 8, "N", "納付年月日", "payment date", date="yyyymmdd")
SLIP_KIND = field(
    "slip_kind", 1, "N", "OCR・手書区分", "OCR or handwritten", allowed=tuple(SLIP_KINDS), codes=_ja(SLIP_KINDS)
)
PAYMENT_KIND = field(
    "payment_kind", 1, "N", "納付区分", "payment kind", allowed=tuple(PAYMENT_KINDS), codes=_ja(PAYMENT_KINDS)
)
#: where, when and how a paper slip (納付書・納入書) was paid: the data records' last fields
SLIP_PAID = (COLLECTING_BANK, COLLECTING_BRANCH, PAYMENT_DATE, SLIP_KIND, PAYMENT_KIND)


def header(record_length: int, type_code: str, *fields: Field, code_division: Field = CODE_DIVISION) -> RecordKind:
    """A Zengin-family header: データ区分 1, 種別コード ``type_code``, コード区分, then ``fields``."""
    opening = (data_kind("1"), field("type_code", 2, "N", "種別コード", "type code", allowed=(type_code,)))
    return laid_out("1", "header", "ヘッダーレコード", record_length, *opening, code_division, *fields)


def municipality(*, wide: bool = False) -> tuple[Field, Field]:
    """The local government a collection file is for: its 6-digit code and name (full width if ``wide``)."""
    return (
        field("municipality_code", 6, "N", "地方公共団体コード", "local government code"),
        field("municipality_name", 40, "K" if wide else "C", "地方公共団体名", "local government name"),
    )


def collection_header(
    record_length: int, type_code: str, party: tuple[Field, Field], *own: Field, wide: bool = False
) -> RecordKind:
    """A collection file's header: ``party`` (code and name), creation date, the designated bank and
    branch (names full width if ``wide``, then cp932 only), ``own`` fields and the file number."""
    name_type: FieldType = "K" if wide else "C"
    name_length = 30 if wide else 15
    designated = (
        field("creation_date", 8, "N", "作成日", "creation date", date="yyyymmdd"),
        field("bank_code", 4, "N", "指定金融機関番号", "designated bank code", lookup="bank"),
        field("bank_name", name_length, name_type, "指定金融機関名", "designated bank name"),
        field("branch_code", 3, "N", "取扱店番号", "designated bank's branch code", lookup="branch"),
        field("branch_name", name_length, name_type, "取扱店名", "branch name"),
    )
    division = CP932_ONLY if wide else CODE_DIVISION
    return header(record_length, type_code, *party, *designated, *own, FILE_NUMBER, code_division=division)


def collection_data(
    record_length: int,
    item_codes: tuple[str, ...],
    *own: Field,
    payment_month: bool = False,
    rest: Field | None = DUMMY,
) -> RecordKind:
    """A collection data record: 連番, 科目コード (one of ``item_codes``), 調定年度, 期別 (the payment
    month for 特別徴収, ``payment_month``) checked per item, then ``own`` fields."""
    instalment = ("期別(納入月)", "instalment (payment month)") if payment_month else ("期別", "instalment")
    opening = (
        data_kind("2"),
        field("sequence_number", 6, "N", "連番", "record sequence number", numeric=True),
        field(
            "item_code",
            2,
            "N",
            "科目コード",
            "revenue item code",
            allowed=item_codes,
            codes={code: items.ITEMS[code].ja for code in item_codes if code in items.ITEMS},
        ),
        field("assessment_year", 4, "N", "調定年度", "assessment (fiscal) year", date="fiscal_year"),
        field("instalment", 2, "N", *instalment, ranges=items.instalment_ranges(), range_key="item_code"),
    )
    return laid_out("2", "data", "データレコード", record_length, *opening, *own, rest=rest)


def trailer(record_length: int, *fields: Field, rest: Field | None = None) -> RecordKind:
    """A trailer: データ区分 8, 合計件数, then ``fields`` (totals)."""
    options = {"rest": rest} if rest is not None else {}
    return laid_out(
        "8", "trailer", "トレーラーレコード", record_length, data_kind("8"), TOTAL_COUNT, *fields, **options
    )


TOTAL_LATE_CHARGE = total("total_late_charge", "延滞金額合計", "total late charges")
#: the trailer totals of the special-collection (特別徴収) kinds
SPECIAL_TOTALS = (
    total("total_amount", "税額合計", "total tax"),
    total("total_retirement_tax", "退職税額合計", "total retirement-income tax"),
    TOTAL_LATE_CHARGE,
)


def sums(trailer: RecordKind) -> tuple[Total, ...]:
    """The rules of a collection trailer: ``total_count`` counts the data records, every other
    ``total_<name>`` is the sum of the data field ``<name>``."""
    named = [f.name for f in trailer.fields if f.name.startswith("total_") and f.name != "total_count"]
    return (Total("total_count", "count"), *(Total(name, "sum", name.removeprefix("total_")) for name in named))


def zengin_layout(
    name: str,
    ja: str,
    en: str,
    kinds: tuple[RecordKind, RecordKind, RecordKind],
    *,
    totals: tuple[Total, ...] | None = None,
    summary_by: tuple[str, ...],
    signature: tuple[str, ...] = ("type_code", "code_division"),
    extra: Mapping[str, Any] | None = None,
) -> Layout:
    """A checked Zengin-family layout of header, data and trailer ``kinds`` and the end record; the
    trailer's ``totals`` are :func:`sums` of the trailer unless given."""
    record_length = sum(f.length for f in kinds[0].fields)
    layout = Layout(
        name=name,
        ja=ja,
        en=en,
        record_length=record_length,
        kinds=(*kinds, end_record(record_length)),
        follows=ZENGIN_ORDER,
        totals=sums(kinds[2]) if totals is None else totals,
        extra={
            **(extra or {}),
            "encoding_field": "code_division",
            "amount_field": "amount",
            "summary_by": summary_by,
            "signature": signature,
        },
    )
    layout.check()
    return layout
