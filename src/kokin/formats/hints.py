"""For an operator reading a validation report: the Japanese name of the faulty 項目, a one-line hint
of how to fix each rule (an issue's ``code``), and issues of one kind grouped with their count and
first records (:func:`group`), so a file with a thousand faults of one kind reads as one line.

The CLI's one-line form of an issue (``str(FormatIssue)``) does not use these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from kokin.formats.errors import FormatIssue, Severity
from kokin.formats.layout import Layout

#: the names of issues about no one field
STRUCTURAL: dict[str, str] = {
    "file": "ファイル全体",
    "length": "レコード長",
    "record_length": "レコード長",
    "separator": "改行",
    "record_order": "レコードの順序",
    "data_kind": "データ区分",
    "line": "行",
    "layout": "形式の定義",
}

#: how to fix an issue, by its ``code``
HINTS: dict[str, str] = {
    "digits": "数字 (0～9) だけを入れてください。桁が余る数字項目は先頭を 0 で埋めます。",
    "charset": "全銀協の文字 (半角カナ・英大文字・数字・一部の記号) にしてください。小文字・全角は使えません。",
    "kanji": "全角の項目は JIS 第1・第2水準の文字にし、機種依存文字 (髙・﨑 など) と半角カナを置き換えてください。",
    "allowed": "内容欄に示した使える値のどれかにしてください。",
    "date": "実在する日付を項目の桁どおり (YYYYMMDD など) に入れてください。",
    "range": "項目の定めた範囲の値にしてください。",
    "dummy": "ダミー (予備) の項目は空白 (スペース) にしてください。",
    "encoding": "コード区分と実際の文字コード (JIS・EBCDIC) をそろえてください。",
    "unknown_code": "金融機関マスタにないコードです。統廃合がないか確かめ、現在の金融機関・支店コードにしてください。",
    "order": "ヘッダー・データ・トレーラ・エンドの順に並べてください。",
    "missing_end": "ファイルの最後にエンドレコード (データ区分 9) を付けてください。",
    "total": "トレーラの件数・金額の合計を、データレコードの合計と一致させてください。",
    "request_total": "トレーラの件数・金額の合計を、データレコードの合計と一致させてください。",
    "total_unverified": "読めない金額があるため合計を確かめられません。先に金額の誤りを直してください。",
    "length": "1 レコードの長さを形式の定め (全銀協は 120 バイトなど) にそろえてください。",
    "record_length": "1 レコードの長さを形式の定め (全銀協は 120 バイトなど) にそろえてください。",
    "short_record": "最後のレコードが途中で切れています。作成元のシステムでファイルを作り直してください。",
    "newline_inside": "レコードの途中に改行があります。項目の値から改行を除いてください。",
    "lone_newline": "改行は CRLF に統一してください。",
    "unexpected_newline": "改行の有無をファイル全体でそろえてください。",
    "missing_final_newline": "最後のレコードにも改行を付けてください。",
    "convention": "改行の有無と種類 (CRLF) をファイル全体でそろえてください。",
    "separator": "改行の有無と種類 (CRLF) をファイル全体でそろえてください。",
    "empty": "中身のあるファイルを選んでください。",
    "csv": "CSV の列と値を定めどおりにしてください。",
    "csv_header": "CSV の1行目 (見出し) を定めどおりにしてください。",
}


def hint_for(code: str, extra: dict[str, str] | None = None) -> str:
    return (extra or {}).get(code) or HINTS.get(code, "")


def field_label(issue: FormatIssue, layout: Layout | None) -> str:
    """The 項目's Japanese name: the engine's (from the record's kind), a structural name, or that of
    the first kind of ``layout`` with the field (the data record first); else the field's ID."""
    if issue.label:
        return issue.label
    if issue.field in STRUCTURAL:
        return STRUCTURAL[issue.field]
    kinds = sorted(layout.kinds, key=lambda kind: kind.name != "data") if layout is not None else []
    for kind in kinds:
        for f in kind.fields:
            if f.name == issue.field:
                return f.ja
    return issue.field


@dataclass
class IssueGroup:
    """Issues of one severity, rule and 項目: how many, and the first ones (their records)."""

    severity: Severity
    code: str
    field: str
    label: str
    hint: str
    count: int = 0
    first: list[FormatIssue] = dataclasses.field(default_factory=list)

    @property
    def more(self) -> int:
        """Issues of the group beyond the first ones listed."""
        return self.count - len(self.first)

    @property
    def example(self) -> str:
        return self.first[0].message_ja if self.first else ""


def group(
    issues: Iterable[FormatIssue], layout: Layout | None, *, first: int = 5, hints: dict[str, str] | None = None
) -> list[IssueGroup]:
    """``issues`` by (severity, code, field), errors first, then in the order each kind first occurs;
    each group keeps its ``first`` issues."""
    groups: dict[tuple[str, str, str], IssueGroup] = {}
    for issue in issues:
        key = (issue.severity, issue.code, issue.field)
        g = groups.get(key)
        if g is None:
            label = field_label(issue, layout)
            g = groups[key] = IssueGroup(issue.severity, issue.code, issue.field, label, hint_for(issue.code, hints))
        g.count += 1
        if len(g.first) < first:
            g.first.append(issue)
    return sorted(groups.values(), key=lambda g: g.severity != "error")
