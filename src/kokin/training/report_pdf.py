"""The 研修実施報告 as a PDF (A4, Japanese font embedded through :mod:`kokin.pdf`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from kokin.pdf import FONT, japanese_pdf
from kokin.training.report import OperatorRow, Report, date_text

if TYPE_CHECKING:
    from fpdf import FPDF


def render(report: Report) -> bytes:
    pdf = japanese_pdf(title="研修実施報告", created=report.created)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, "研修実施報告", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    pdf.cell(0, 5, "個人情報の保護に関する特記仕様書 第9条 (教育の実施) に基づく報告", align="C")
    pdf.ln(9)
    pdf.set_font(FONT, size=9)
    rules = report.rules
    in_effect = f"{rules.title} 第{rules.version}版 (施行 {date_text(rules.effective_from)})" if rules else "なし"
    for line in (
        f"対象期間: {report.period_text}",
        f"作成日: {date_text(timezone.localdate(report.created))}",
        f"取扱規程: {in_effect}",
        f"取扱規程の確認は {report.days} 日ごと、および新しい版の施行時に求めます。"
        f"確認の状況は {date_text(report.at)} 時点です。",
        f"対象者: {len(report.rows)} 名",
    ):
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for row in report.rows:
        _operator(pdf, row)
    return bytes(pdf.output())


def _operator(pdf: FPDF, row: OperatorRow) -> None:
    pdf.set_font(FONT, size=11)
    pdf.set_fill_color(235, 235, 235)
    heading = f"{row.name} ({row.username})" + (f"  {row.department}" if row.department else "")
    pdf.multi_cell(0, 7, heading, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 5, "業務・役割: " + (" / ".join(row.businesses) or "なし"), new_x="LMARGIN", new_y="NEXT")
    ack = row.acknowledgement
    version = f"第{ack.rules_version}版" if ack.rules_version is not None else "—"
    when = date_text(row.acknowledged_on)
    line = f"取扱規程の確認: {row.state}  確認日 {when}  版 {version}  期限 {date_text(ack.due)}"
    pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    if not row.completed:
        pdf.multi_cell(0, 5, "受講した研修: 期間内の記録はありません", new_x="LMARGIN", new_y="NEXT")
    for done in row.completed:
        pdf.multi_cell(
            0,
            5,
            f"受講: {date_text(done.completed_on)}  {done.course_title} ({done.course_version})",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(3)
