"""振替不能の明細: the payers a debit result could not debit, and what the ward does next for each.

The operators' daily work after a result arrives is to follow up every record whose 振替結果コード is
not 0 (振替済). This module reads those records from the stored result (decrypted from the vault as it
is read, like every download), names the bank and branch from the Zengin bank master, labels the code
with the format's own code table (:data:`kokin.formats.kinds.zengin_debit.RESULT_CODES`) and adds the
next step per code. The same rows feed the file's page and the 「振替不能分のみ」 CSV and Excel files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kokin.exchange.downloads import BUFFER, open_original
from kokin.exchange.models import ExchangeFile
from kokin.exchange.states import State
from kokin.formats.bankmaster import master
from kokin.formats.cells import guard_row, xlsx_row
from kokin.formats.kinds import zengin_debit

#: what the ward does next, per 振替結果コード (0 振替済 needs nothing)
NEXT_STEPS = {
    "1": "再振替・納付書の送付",
    "2": "口座の確認・依頼書の再提出",
    "3": "口座振替の登録の停止",
    "4": "口座の確認・依頼書の再提出",
    "8": "委託者 (区) の事情の確認",
    "9": "金融機関への照会",
}
#: the columns of the page, the CSV and the Excel sheet, with the Excel column widths
COLUMNS = (
    ("レコード番号", 12),
    ("顧客番号", 24),
    ("預金者名", 30),
    ("金融機関", 22),
    ("支店", 22),
    ("預金種目", 10),
    ("口座番号", 12),
    ("金額 (円)", 14),
    ("結果コード", 10),
    ("結果の内容", 26),
    ("次の対応", 30),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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

    def cells(self) -> list[Any]:
        """The row of the CSV and Excel files (amount and record number as numbers)."""
        return [
            self.record,
            self.customer_number,
            self.holder_name,
            f"{self.bank_name} ({self.bank_code})",
            f"{self.branch_name} ({self.branch_code})",
            self.account_type_label,
            self.account_number,
            self.amount,
            self.result_code,
            self.result_label,
            self.next_step,
        ]


def has_failures(file: ExchangeFile) -> bool:
    """A stored debit result with at least one record not debited (from its summary; no read)."""
    if file.format != zengin_debit.NAME or file.mode != "result":
        return False
    if file.state in (State.ERASED, State.QUARANTINED):
        return False
    by_code = (file.summary or {}).get("by_result_code", {})
    return any(code != "0" and int(row.get("count", 0)) for code, row in by_code.items())


def _failure(rec: dict[str, Any]) -> Failure:
    bank_code, branch_code = str(rec["bank_code"]), str(rec["branch_code"])
    bank = master().bank(bank_code)
    branch = master().branch(bank_code, branch_code)
    code = str(rec["result_code"])
    account_type = str(rec["account_type"])
    return Failure(
        record=int(rec["record_number"]),
        customer_number=str(rec["customer_number"]),
        holder_name=str(rec["holder_name"]),
        bank_code=bank_code,
        bank_name=bank.name if bank is not None else str(rec["bank_name"]),
        branch_code=branch_code,
        branch_name=branch.name if branch is not None else str(rec["branch_name"]),
        account_type=account_type,
        account_type_label=zengin_debit.ACCOUNT_TYPES.get(account_type, account_type),
        account_number=str(rec["account_number"]),
        amount=int(rec["amount"]),
        result_code=code,
        result_label=zengin_debit.RESULT_CODES.get(code, ("不明", ""))[0],
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
    formula is guarded (:mod:`kokin.formats.cells`)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    for failure in failures:
        writer.writerow(guard_row(failure.cells()))
    return text.getvalue().encode("utf-8-sig")


def as_xlsx(failures: list[Failure]) -> bytes:
    """One sheet 振替不能: typed columns (record number and amount as numbers with separators,
    identifiers as text so their leading zeros stay), the header row frozen, widths set."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("振替不能")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(xlsx_row(sheet, [name for name, _ in COLUMNS]))
    amount_column = [name for name, _ in COLUMNS].index("金額 (円)")
    for failure in failures:
        row = xlsx_row(sheet, failure.cells())
        row[amount_column].number_format = "#,##0"
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
