"""The table of what checking a refused (or doubtful) upload found: issues of one kind grouped, with
the 項目's Japanese name, a count, the first records (with 顧客番号・預金者名 or a collection record's
key) and a one-line hint of the fix (:mod:`kokin.formats.hints`, plus the exchange's own rules). The
downloadable CSV (:mod:`kokin.exchange.reports`) keeps every issue on a line of its own."""

from __future__ import annotations

from kokin.exchange.checks import Checked
from kokin.formats import FORMATS
from kokin.formats.errors import FormatIssue
from kokin.formats.hints import IssueGroup, field_label, group, hint_for
from kokin.formats.layout import Layout

#: the first records listed per group on the page
FIRST_RECORDS = 5

#: hints of the rules the exchange checks beyond the format (kokin.exchange.checks)
EXCHANGE_HINTS: dict[str, str] = {
    "debit_date_holiday": "引落日を銀行営業日 (土日・祝日・12月31日～1月3日以外) にしてください。",
    "debit_date_lead": "引落日を、定められた銀行営業日数以上先の日にしてください。",
    "consignor_code": "この業務の委託者コードで作ったファイルか、別の業務のファイルを選んでいないか確かめてください。",
    "format": "全銀協形式 (Shift_JIS・固定長) で保存したファイルを選んでください。",
    "wrong_format": "データ種別に合った形式のファイルか確かめてください。",
    "empty": "中身のあるファイルを選んでください。",
}


def layout_of(checked: Checked) -> Layout | None:
    module = FORMATS.get(checked.format)
    return module.LAYOUT if module is not None else None


def groups(checked: Checked) -> list[IssueGroup]:
    return group(checked.issues, layout_of(checked), first=FIRST_RECORDS, hints=EXCHANGE_HINTS)


def label(issue: FormatIssue, layout: Layout | None) -> str:
    return field_label(issue, layout)


def hint(issue: FormatIssue) -> str:
    return hint_for(issue.code, EXCHANGE_HINTS)
