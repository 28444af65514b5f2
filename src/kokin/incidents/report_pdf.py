"""The 漏えい等報告 draft as a PDF (A4, Japanese font embedded through :mod:`kokin.pdf`)."""

from __future__ import annotations

from django.utils import timezone

from kokin.incidents import report
from kokin.incidents.models import Incident, ReportVersion
from kokin.pdf import FONT, japanese_pdf


def render(incident: Incident, version: ReportVersion | None) -> bytes:
    created = version.saved_at if version else timezone.now()
    pdf = japanese_pdf(title=f"漏えい等報告 (案) インシデント {incident.number}", created=created)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, "漏えい等報告 (案)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    pdf.cell(0, 5, "個人情報保護委員会への報告事項の下書き (公金収納ネットワークサービス)", align="C")
    pdf.ln(10)
    for heading, text in report.sections(incident, version):
        pdf.set_font(FONT, size=11)
        pdf.set_fill_color(235, 235, 235)
        pdf.multi_cell(0, 7, heading, fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(0, 5, text or "—", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())
