"""A version of a register as a PDF (A4 landscape, the Japanese font embedded through :mod:`kokin.pdf`):
the heading items, the table and the changes against the version before."""

from __future__ import annotations

from kokin.pdf import FONT, japanese_pdf
from kokin.registers.models import Kind, RegisterVersion
from kokin.registers.report import Report

#: relative column widths of each register's table (the page is 257 mm wide inside its margins)
COLUMNS = {
    Kind.ROSTER: (35, 75, 50, 45, 52),
    Kind.EQUIPMENT: (14, 36, 14, 40, 32, 52, 34, 35),
}
GREY = (235, 235, 235)


def render(version: RegisterVersion, report: Report) -> bytes:
    from fpdf.fonts import FontFace

    pdf = japanese_pdf(title=f"{report.title} 第{report.number}版", created=version.made_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page(orientation="L")
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, report.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    pdf.cell(0, 5, "公金収納ネットワークサービス (kokin)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    plain = FontFace(emphasis="")
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=(45, 212), text_align="LEFT", line_height=5, first_row_as_headings=False, headings_style=plain
    ) as table:
        for label, value in report.heading_items():
            row = table.row()
            row.cell(label, style=FontFace(emphasis="", fill_color=GREY))
            row.cell(value)
    pdf.ln(5)
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=COLUMNS[Kind(report.kind)],
        text_align="LEFT",
        line_height=4.5,
        headings_style=FontFace(emphasis="", fill_color=GREY),
        repeat_headings=1,
    ) as table:
        table.row(report.headers)
        for values in report.rows:
            table.row(values)
    pdf.ln(5)
    pdf.set_font(FONT, size=11)
    pdf.set_fill_color(*GREY)
    pdf.multi_cell(0, 7, report.changes_heading, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in report.changes or ["(なし)"]:
        pdf.multi_cell(0, 5, f"・{line}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
