"""Turning a file's summary into rows for the screens (labels for codes, bank names), so templates
only loop and print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kokin.exchange.issue_table import EXCHANGE_HINTS
from kokin.exchange.models import ExchangeFile
from kokin.formats import FORMATS
from kokin.formats.bankmaster import master
from kokin.formats.dates import to_western, wareki_text
from kokin.formats.errors import FormatIssue
from kokin.formats.hints import field_label, hint_for
from kokin.formats.items import ITEMS
from kokin.formats.kinds.zengin_debit import RESULT_CODES

#: how the groups of each ``by_<field>`` are named on screen
GROUP_TITLES = {
    "result_code": "振替結果コード別",
    "bank_code": "引落金融機関別",
    "collecting_bank_code": "収納金融機関別",
    "agent_bank_code": "取りまとめ金融機関別",
    "item_code": "科目別",
    "instalment": "期別",
}
BANK_FIELDS = {"bank_code", "collecting_bank_code", "agent_bank_code"}


@dataclass(frozen=True)
class GroupRow:
    code: str
    label: str
    count: int
    amount: int


@dataclass(frozen=True)
class Group:
    field: str
    title: str
    rows: list[GroupRow]


def _label(field: str, code: str) -> str:
    if field == "result_code":
        return RESULT_CODES.get(code, ("不明", ""))[0]
    if field in BANK_FIELDS:
        bank = master().bank(code)
        return bank.name if bank is not None else "金融機関マスタにないコード"
    if field == "item_code":
        item = ITEMS.get(code)
        return item.ja if item is not None else ""
    return ""


def groups(summary: dict[str, Any], fmt: str) -> list[Group]:
    """The summary's ``by_<field>`` tables with a title and a label per code."""
    mode = str(summary.get("mode", ""))
    out = []
    fields = FORMATS[fmt].LAYOUT.extra.get("summary_by", ()) if fmt in FORMATS else ()
    for name in fields:
        if name == "result_code" and mode == "request":
            continue  # a request has no results yet
        table = summary.get(f"by_{name}") or {}
        rows = [
            GroupRow(code, _label(name, code), int(v.get("count", 0)), int(v.get("amount", 0)))
            for code, v in table.items()
        ]
        out.append(Group(name, GROUP_TITLES.get(name, name), rows))
    return out


def issue_rows(issues: list[dict[str, Any]], fmt: str = "") -> list[dict[str, Any]]:
    """Stored issue dicts with a printable byte position, the 項目's Japanese name (``label``, as the
    refused-upload table names it) and a one-line hint of the fix (``hint``)."""
    layout = FORMATS[fmt].LAYOUT if fmt in FORMATS else None
    rows = []
    for issue in issues:
        start, end = issue.get("start"), issue.get("end")
        where = "" if start is None else (f"{start}-{end}" if end != start else str(start))
        found = FormatIssue(
            issue.get("record"),
            str(issue.get("field", "")),
            str(issue.get("code", "")),
            str(issue.get("message_ja", "")),
            str(issue.get("message_en", "")),
            label=str(issue.get("label", "")),
        )
        label = field_label(found, layout)
        rows.append({**issue, "where": where, "label": label, "hint": hint_for(found.code, EXCHANGE_HINTS)})
    return rows


def month_day_text(mmdd: str) -> str:
    """12月10日 for ``1210``: a date with no year, shown without guessing one."""
    return f"{int(mmdd[:2])}月{int(mmdd[2:])}日"


def header_date_text(value: str) -> str:
    """A date from a file's header as people read it: YYYYMMDD or era+YYMMDD as ``2026-05-27
    (令和8年5月27日)``, MMDD as 月日 (no year is guessed); anything else as it is."""
    text = value.strip()
    try:
        if len(text) == 4 and text.isdigit():
            return month_day_text(text)
        if len(text) in (7, 8) and text.isdigit():
            date = to_western(text)
            return f"{date:%Y-%m-%d} ({wareki_text(date)})"
    except ValueError:
        pass  # not a real date: shown as it is (validation has said so)
    return text


UNMATCHED_YEAR = "請求と未照合のため年は不明"


def debit_date_text(mmdd: str, resolved: Any, *, result: bool) -> str:
    """引落日 as a batch row shows it: the resolved date with 和暦 (a request's from today, a result's
    from its matched request); a result that matched no request shows its MMDD with why the year is
    unknown — never a guessed year."""
    if resolved:
        date = dt.date.fromisoformat(str(resolved))
        return f"引落日 {date:%Y-%m-%d} ({wareki_text(date)})"
    if result:
        return f"引落日 {month_day_text(mmdd)} ({UNMATCHED_YEAR})"
    return f"引落日 {header_date_text(mmdd)}"


def unmatched_debit_date(file: ExchangeFile) -> str:
    """引落日 of a debit result that matched no request: its MMDD with why there is no year."""
    if file.debit_date is not None or file.mode != "result":
        return ""
    batches = (file.summary or {}).get("batch_list") or [{}]
    mmdd = str(batches[0].get("debit_date", ""))
    return debit_date_text(mmdd, None, result=True).removeprefix("引落日 ") if mmdd else ""


def batch_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per batch: its header record number, who made it (consignor, ward or collector), its date."""
    rows = []
    result = summary.get("mode") == "result"
    for b in summary.get("batch_list", []):
        party = b.get("consignor_code") or b.get("municipality_code") or b.get("collector_number") or ""
        if b.get("debit_date"):
            date = debit_date_text(str(b["debit_date"]), b.get("debit_date_resolved"), result=result)
        elif b.get("creation_date"):
            date = f"作成日 {header_date_text(str(b['creation_date']))}"
        else:
            date = ""
        rows.append(
            {
                "record": b.get("record"),
                "party": party,
                "date": date,
                "count": b.get("count", 0),
                "amount": b.get("amount", 0),
            }
        )
    return rows
