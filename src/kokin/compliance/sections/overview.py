"""報告の概要: what the report is, the period it covers, when and by whom it was made."""

from __future__ import annotations

from django.utils import timezone

from kokin.compliance.period import day_label, when_label
from kokin.compliance.sections.base import Context, Section


def build(context: Context) -> Section:
    period = context.period
    rows = [
        ("報告", "個人情報の取扱いに係る遵守状況の報告 (別紙3 第16条 管理上の報告)"),
        ("対象期間", f"{period.label}\n{period.days_label}"),
        ("作成日時", when_label(context.made_at)),
        ("作成者", context.made_by),
        ("作成元", "公金収納ネットワークサービス (kokin)"),
    ]
    notes = [
        "この報告は件数とファイルの属性 (業務・データ種別・ファイル名・証明書番号など) だけを記載し、"
        "納付者の個人データを含みません。",
        "数値はハブのデータベースと改ざん検知付きの操作ログから、作成時に集計したものです。",
    ]
    today = timezone.localdate(context.made_at)
    if period.end >= today:
        notes.append(f"対象期間は作成時点でまだ終わっていません ({day_label(today)} の作成時点までの集計)。")
    return Section("報告の概要", rows=rows, notes=notes)
