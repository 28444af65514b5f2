"""振替不能の明細: the payers a debit result could not debit, and what the ward does next for each.

The operators' daily work after a result arrives is to follow up every record whose 振替結果コード is
not 0 (振替済). This module reads those records from the stored result (decrypted from the vault as it
is read, like every download), names the bank and branch from the Zengin bank master and labels the
codes with the layout's own code tables, as every export does (:mod:`kokin.formats.tabular`), and adds
the next step per code. The same rows feed the file's page and the 「振替不能分のみ」 CSV and Excel files.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from kokin.exchange import downloads
from kokin.exchange.downloads import BUFFER, open_original
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats import tabular
from kokin.formats.kinds import zengin_debit
from kokin.formats.tabular import Column

#: what the ward does next, per 振替結果コード (0 振替済 needs nothing)
NEXT_STEPS = {
    "1": "再振替・納付書の送付",
    "2": "口座の確認・依頼書の再提出",
    "3": "口座振替の登録の停止",
    "4": "口座の確認・依頼書の再提出",
    "8": "委託者 (区) の事情の確認",
    "9": "金融機関への照会",
}
XLSX_TYPE = downloads.XLSX_TYPE


@dataclass(frozen=True)
class Failure:
    """One data record that was not debited."""

    record: int
    customer_number: str
    holder_name: str
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_type: str
    account_type_label: str
    account_number: str
    amount: int
    result_code: str
    result_label: str
    next_step: str


def _data_label(name: str) -> str:
    return zengin_debit.DATA.field(name).ja


#: the columns of the CSV and the Excel sheet: the labels of the layout and of every export
#: (:mod:`kokin.formats.tabular`) where a column is one field, the bank and branch as name and code
COLUMNS = (
    Column(tabular.EXTRA_TITLES["record_number"], "number", 12, lambda f: f["record"]),
    Column(_data_label("customer_number"), "text", 24, lambda f: f["customer_number"]),
    Column(_data_label("holder_name"), "text", 30, lambda f: f["holder_name"]),
    Column("金融機関", "text", 22, lambda f: f"{f['bank_name']} ({f['bank_code']})"),
    Column("支店", "text", 22, lambda f: f"{f['branch_name']} ({f['branch_code']})"),
    Column(_data_label("account_type"), "text", 10, lambda f: f["account_type_label"]),
    Column(_data_label("account_number"), "text", 12, lambda f: f["account_number"]),
    Column(_data_label("amount"), "amount", 14, lambda f: f["amount"]),
    Column(_data_label("result_code"), "text", 14, lambda f: f["result_code"]),
    Column(tabular.MEANING_TITLES["result_code"], "text", 26, lambda f: f["result_label"]),
    Column("次の対応", "text", 30, lambda f: f["next_step"]),
)


def has_failures(file: ExchangeFile) -> bool:
    """A stored debit result with at least one record not debited (from its summary; no read)."""
    if file.format != zengin_debit.NAME or file.mode != "result":
        return False
    if file.state in (State.ERASED, State.QUARANTINED):
        return False
    by_code = (file.summary or {}).get("by_result_code", {})
    return any(code != "0" and int(row.get("count", 0)) for code, row in by_code.items())


def _failure(rec: dict[str, Any]) -> Failure:
    """The record decoded as every export decodes it (:mod:`kokin.formats.tabular`); a code the bank
    master lacks keeps the name the file gives."""
    bank_code, branch_code = str(rec["bank_code"]), str(rec["branch_code"])
    code = str(rec["result_code"])
    account_type = str(rec["account_type"])
    return Failure(
        record=int(rec["record_number"]),
        customer_number=str(rec["customer_number"]),
        holder_name=str(rec["holder_name"]),
        bank_code=bank_code,
        bank_name=tabular.bank_name(bank_code) or str(rec["bank_name"]),
        branch_code=branch_code,
        branch_name=tabular.branch_name(bank_code, branch_code) or str(rec["branch_name"]),
        account_type=account_type,
        account_type_label=tabular.code_meaning(zengin_debit.DATA.field("account_type"), account_type) or account_type,
        account_number=str(rec["account_number"]),
        amount=int(rec["amount"]),
        result_code=code,
        result_label=tabular.code_meaning(zengin_debit.DATA.field("result_code"), code) or "不明",
        next_step=NEXT_STEPS.get(code, "金融機関への照会"),
    )


def iter_failures(file: ExchangeFile) -> Iterator[Failure]:
    """The records of the result ``file`` whose result code is not 0, in file order."""
    with open_original(file) as reader:
        for rec in zengin_debit.iter_records(io.BufferedReader(reader, BUFFER)):
            if rec["record_kind"] == "data" and str(rec.get("result_code", "0")) not in ("0", ""):
                yield _failure(rec)


def file_stem(file: ExchangeFile) -> str:
    stem = file.original_name.rsplit(".", 1)[0] if "." in file.original_name else file.original_name
    return f"{stem}-振替不能"


def as_csv(failures: list[Failure]) -> bytes:
    """UTF-8 with BOM (Excel opens it as Japanese), Japanese headers, CRLF; text that would start a
    formula is guarded (:func:`kokin.formats.tabular.write_csv`, as every export)."""
    out = io.BytesIO()
    tabular.write_csv(out, COLUMNS, (asdict(f) for f in failures), encoding="utf-8-sig")
    return out.getvalue()


def as_xlsx(failures: list[Failure]) -> bytes:
    """One sheet 振替不能 written as every export (:func:`kokin.formats.tabular.write_xlsx`): typed
    columns (record number and amount as numbers, the amount with separators, identifiers as text so
    their leading zeros stay), the header row frozen, widths set."""
    out = io.BytesIO()
    tabular.write_xlsx(out, [("振替不能", COLUMNS, (asdict(f) for f in failures))])
    return out.getvalue()
