"""The 漏えい等報告 draft: the fields of the 個人情報保護委員会's report, pre-filled from the incident and its
evidence, its deadlines, and its plain-text form (ready to paste into the commission's web form).

Deadlines, counted in calendar days (土日祝日を含む) from the day the hub detected the incident, the first
day not counted: **速報 3 日** — the guidelines ask for it 速やかに, about 3 to 5 days; the strict end is
used because the ward, not the hub, reports to the commission, and the hub must tell the ward 直ちに
(別紙3 第15条) — and **確報 30 日**, **60 日** when the incident may have been done 不正の目的.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kokin.audit.labels import action_label, outcome_label
from kokin.formats.dates import wareki_text
from kokin.incidents import selectors
from kokin.incidents.labels import rule_label
from kokin.incidents.models import Incident, ReportVersion

FIELDS: list[tuple[str, str]] = [
    ("overview", "概要"),
    ("items", "漏えい等が発生し又は発生したおそれがある保有個人情報の項目"),
    ("persons", "本人の数"),
    ("cause", "原因"),
    ("secondary_damage", "二次被害又はそのおそれの有無及びその内容"),
    ("response", "本人への対応の実施状況"),
    ("publication", "公表の実施状況"),
    ("prevention", "再発防止のための措置"),
    ("other", "その他参考となる事項"),
]
PRELIMINARY_DAYS = 3
FINAL_DAYS, FINAL_DAYS_MALICIOUS = 30, 60
#: evidence entries written out in the draft's 原因 (all are on the incident's page)
EVIDENCE_SHOWN = 20


def day(value: dt.date) -> str:
    return f"{value:%Y-%m-%d} ({wareki_text(value)})"


def when(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} ({wareki_text(local.date())})"


@dataclass(frozen=True)
class Deadlines:
    known: dt.date  # the day the hub detected it
    preliminary: dt.date  # 速報
    final: dt.date  # 確報
    final_days: int


def deadlines(incident: Incident, *, malicious: bool) -> Deadlines:
    known = timezone.localtime(incident.first_seen).date()
    days = FINAL_DAYS_MALICIOUS if malicious else FINAL_DAYS
    return Deadlines(known, known + dt.timedelta(days=PRELIMINARY_DAYS), known + dt.timedelta(days=days), days)


def draft(incident: Incident) -> dict[str, str]:
    """The fields as the hub can fill them from the incident, its files and its evidence."""
    files = selectors.files(incident)
    overview = (
        f"{when(incident.first_seen)}、公金収納ネットワークサービス (kokin) の検知ルール「{rule_label(incident.rule)}」"
        f"により、インシデント {incident.number}「{incident.title}」を検知した。\n{incident.summary}"
    )
    if incident.occurrences > 1:
        overview += f"\n最終検知は {when(incident.last_seen)}、検知は計 {incident.occurrences} 回。"
    return {
        "overview": overview,
        "items": _items(incident, files),
        "persons": _persons(files),
        "cause": _cause(incident),
        "secondary_damage": "調査中 (現時点で二次被害の報告はない)。",
        "response": "未実施 (調査の結果により、本人への通知を検討する)。",
        "publication": "未実施。",
        "prevention": "検討中。",
        "other": _timeline(incident),
    }


def _items(incident: Incident, files: list[selectors.FileInfo]) -> str:
    if files:
        lines = []
        for f in files:
            what = f"{f.business} {f.kind}".strip() or "データ種別不明"
            items = "、".join(f.items) or "(別紙1 に記載のない、または特定できないデータ種別)"
            lines.append(f"ファイル {f.id} ({what}): {items}")
        return "\n".join(lines)
    lines = [
        f"{business.name} の {label}: {'、'.join(items) or '(別紙1 に記載なし)'}"
        for business, kinds in selectors.business_kinds(incident)
        for label, items in kinds
    ]
    if lines:
        return "ファイルは特定されていない。関係する業務で扱う個人データの項目 (別紙1):\n" + "\n".join(lines)
    return "調査中 (関係するファイル・業務は特定されていない)。"


def _persons(files: list[selectors.FileInfo]) -> str:
    counted = [f for f in files if f.records is not None]
    if not counted:
        return "調査中 (ファイルが特定されていないか、件数が分からない)。"
    total = sum(f.records or 0 for f in counted)
    text = (
        f"最大 {total:,} 人 (関係するファイル {len(counted)} 件のレコード数の合計。"
        "同じ本人が複数のレコードに現れることがあるため、実際の人数はこれ以下)。"
    )
    if len(counted) < len(files):
        text += f"\nほかに件数の分からないファイルが {len(files) - len(counted)} 件ある。"
    return text


def _cause(incident: Incident) -> str:
    entries = selectors.evidence(incident)
    lines = [
        f"連番 {e.seq} {when(e.at)} {e.actor or '-'} {action_label(e.action)} ({outcome_label(e.outcome)})"
        f"{' ' + e.client_ip if e.client_ip else ''}"
        for e in entries[:EVIDENCE_SHOWN]
    ]
    if len(entries) > EVIDENCE_SHOWN:
        lines.append(f"ほか {len(entries) - EVIDENCE_SHOWN} 件 (ハブのインシデント画面に全件)")
    head = "調査中。検知の根拠となった操作ログ (改ざん検知付き):"
    return "\n".join([head, *lines]) if lines else "調査中。"


def _timeline(incident: Incident) -> str:
    lines = ["経過:"]
    for note in incident.notes.order_by("at", "pk"):
        change = f"[{note.get_from_state_display() or '—'} → {note.get_to_state_display()}] " if note.to_state else ""
        lines.append(f"{when(note.at)} {note.author}: {change}{note.text}")
    lines.append("この案の初期値は kokin がインシデントの記録と操作ログから作成した。")
    return "\n".join(lines)


def sections(incident: Incident, version: ReportVersion | None) -> list[tuple[str, str]]:
    """The report as (heading, text): what it is and its deadlines, then each field."""
    content: dict[str, Any] = version.content if version else draft(incident)
    malicious = version.malicious if version else False
    due = deadlines(incident, malicious=malicious)
    edition = f"第 {version.version} 版 ({when(version.saved_at)} {version.saved_by})" if version else "未保存の案"
    head = "\n".join(
        [
            f"インシデント番号: {incident.number} ({incident.title})",
            f"版: {edition}",
            f"事態を知った日: {day(due.known)}",
            f"速報の期限: {day(due.preliminary)} (知った日から {PRELIMINARY_DAYS} 日以内)",
            f"確報の期限: {day(due.final)} (知った日から {due.final_days} 日以内"
            f"{'、不正の目的によるおそれあり' if malicious else ''})",
        ]
    )
    return [("報告の対象と期限", head)] + [(label, str(content.get(code, ""))) for code, label in FIELDS]


def as_text(incident: Incident, version: ReportVersion | None) -> str:
    """Plain text: each field under its heading, ready to paste field by field."""
    blocks = [f"【{heading}】\n{text}" for heading, text in sections(incident, version)]
    return "漏えい等報告 (案)\n\n" + "\n\n".join(blocks) + "\n"
