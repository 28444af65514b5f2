"""Build a Zengin debit request (口座振替請求データ) from a CSV of payers.

The CSV (UTF-8, UTF-8 with BOM or cp932; a header row is required) has these columns:

================= ======== ==================================================================
column            required meaning
================= ======== ==================================================================
bank_code         yes      引落金融機関番号, 4 digits (leading zeros may be omitted)
branch_code       yes      引落支店番号, 3 digits
account_type      yes      預金種目: 1 普通, 2 当座, 3 納税準備預金, 9 その他 (or 普通/当座/納税準備/その他)
account_number    yes      口座番号, up to 7 digits
holder_name       yes      預金者名: kana in any width, hiragana, legal-entity words (normalised)
amount            yes      引落金額 in yen, digits (commas allowed)
customer_number   yes      顧客番号, up to 20 digits
new_code          no       新規コード 0/1/2 (default 0)
================= ======== ==================================================================

Bank and branch names are filled from the ``zengin-code`` master (half width, cut to 15 bytes as
banks do). Every faulty row is reported with its line number, column and reason; nothing is built
unless every row is right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokin.formats.bankmaster import master
from kokin.formats.errors import FormatError, FormatIssue
from kokin.formats.kana import NameConversionError, NormalisedName, normalise_name

COLUMNS = ("bank_code", "branch_code", "account_type", "account_number", "holder_name", "amount", "customer_number")
ACCOUNT_TYPE_WORDS = {"普通": "1", "当座": "2", "納税準備": "3", "納税準備預金": "3", "その他": "9"}
DIGITS = {"bank_code": 4, "branch_code": 3, "account_number": 7, "customer_number": 20}


@dataclass
class Truncation:
    line: int
    column: str
    original: str
    value: str


def read_text(path: str | Path) -> str:
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FormatError("CSV を UTF-8 / cp932 のどちらでも読めません / the CSV is neither UTF-8 nor cp932")


def master_kana(name: str, length: int = 15) -> str:
    """A master name (full-width kana) as it goes in a record: half width, cut to ``length`` bytes."""
    try:
        return normalise_name(name, length=length, truncate=True).value
    except NameConversionError:
        return ""


Fail = Callable[[int, str, str, str], None]


def rows_to_records(
    text: str, *, truncate: bool = False, allow_unknown_codes: bool = False
) -> tuple[list[dict[str, Any]], list[Truncation]]:
    """Parse and normalise the CSV; raise :class:`FormatError` listing every faulty row."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise FormatError(
            FormatIssue(
                1,
                ",".join(missing),
                "csv_header",
                f"列 {', '.join(missing)} がありません",
                f"missing column(s): {', '.join(missing)}",
                unit="line",
            )
        )
    problems: list[FormatIssue] = []
    truncations: list[Truncation] = []
    records: list[dict[str, Any]] = []

    def fail(line: int, column: str, ja: str, en: str) -> None:
        problems.append(FormatIssue(line, column, "csv", f"{line}行目 {column}: {ja}", en, unit="line"))

    for row in reader:
        line = reader.line_num
        rec = _codes(row, line, fail)
        name = _holder_name(row, line, fail, truncate=truncate)
        if name is not None:
            rec["holder_name"] = name.value
            if name.truncated:
                truncations.append(Truncation(line, "holder_name", name.original, name.value))
        if "bank_code" in rec and "branch_code" in rec:
            rec.update(_bank_names(rec, line, fail, allow_unknown_codes=allow_unknown_codes))
        records.append(rec)
    if problems:
        raise FormatError(problems)
    if not records:
        raise FormatError("CSV にデータ行がありません / the CSV has no rows")
    return records, truncations


def _codes(row: dict[str, Any], line: int, fail: Fail) -> dict[str, Any]:
    """The digit columns, 預金種目, 金額 and 新規コード of one row; each fault told to ``fail``."""
    rec: dict[str, Any] = {}
    for column, width in DIGITS.items():
        value = (row.get(column) or "").strip()
        if not value.isascii() or not value.isdigit():
            fail(line, column, f"「{value}」は数字ではありません", f"'{value}' is not a number")
        elif len(value) > width:
            fail(line, column, f"「{value}」は {width} 桁を超えています", f"'{value}' has more than {width} digits")
        else:
            rec[column] = value.zfill(width)
    account_type = (row.get("account_type") or "").strip()
    account_type = ACCOUNT_TYPE_WORDS.get(account_type, account_type)
    if account_type not in ("1", "2", "3", "9"):
        fail(
            line,
            "account_type",
            f"預金種目「{account_type}」は 1・2・3・9 のいずれかです",
            f"account_type '{account_type}' must be 1, 2, 3 or 9",
        )
    rec["account_type"] = account_type
    amount = (row.get("amount") or "").strip().replace(",", "")
    if not amount.isascii() or not amount.isdigit() or int(amount) == 0 or len(amount) > 10:
        fail(
            line,
            "amount",
            f"金額「{amount}」は 1～9,999,999,999 の整数でなければなりません",
            f"amount '{amount}' must be a whole number from 1 to 9,999,999,999",
        )
    else:
        rec["amount"] = int(amount)
    new_code = (row.get("new_code") or "0").strip() or "0"
    if new_code not in ("0", "1", "2"):
        fail(
            line,
            "new_code",
            f"新規コード「{new_code}」は 0・1・2 のいずれかです",
            f"new_code '{new_code}' must be 0, 1 or 2",
        )
    rec["new_code"] = new_code
    return rec


def _holder_name(row: dict[str, Any], line: int, fail: Fail, *, truncate: bool) -> NormalisedName | None:
    try:
        name = normalise_name(row.get("holder_name") or "", length=30, truncate=truncate)
    except NameConversionError as exc:
        fail(line, "holder_name", exc.message_ja, exc.message_en)
        return None
    if not name.value:
        fail(line, "holder_name", "預金者名が空です", "holder_name is empty")
    return name


def _bank_names(rec: dict[str, Any], line: int, fail: Fail, *, allow_unknown_codes: bool) -> dict[str, str]:
    """The bank's and branch's kana names from the master; an unknown code is a fault unless allowed."""
    m = master()
    bank = m.bank(rec["bank_code"])
    branch = m.branch(rec["bank_code"], rec["branch_code"])
    if (bank is None or branch is None) and not allow_unknown_codes:
        which = "金融機関コード" if bank is None else "支店コード"
        fail(
            line,
            "bank_code" if bank is None else "branch_code",
            f"{which}が金融機関マスタ ({m.version}) にありません",
            f"{'bank' if bank is None else 'branch'} code not in the bank master ({m.version})",
        )
    return {
        "bank_name": master_kana(bank.kana) if bank else "",
        "branch_name": master_kana(branch.kana) if branch else "",
    }


def consignor_header(options: Mapping[str, Any]) -> dict[str, Any]:
    """The header values from the consignor options, names normalised and filled from the master."""
    m = master()
    bank_code = str(options["bank_code"]).zfill(4)
    branch_code = str(options["branch_code"]).zfill(3)
    bank = m.bank(bank_code)
    branch = m.branch(bank_code, branch_code)
    try:
        consignor_name = normalise_name(str(options["consignor_name"]), length=40).value
    except NameConversionError as exc:
        raise FormatError(FormatIssue(None, "consignor_name", "build", exc.message_ja, exc.message_en)) from exc
    return {
        "consignor_code": str(options["consignor_code"]).zfill(10),
        "consignor_name": consignor_name,
        "debit_date": str(options["debit_date"]),
        "bank_code": bank_code,
        "bank_name": master_kana(bank.kana) if bank else "",
        "branch_code": branch_code,
        "branch_name": master_kana(branch.kana) if branch else "",
        "account_type": str(options.get("account_type") or "1"),
        "account_number": str(options.get("account_number") or "").zfill(7) if options.get("account_number") else None,
    }
