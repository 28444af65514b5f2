"""The compliance report as a PDF (A4, Japanese font embedded through :mod:`kokin.pdf`): a title, the
sections numbered in order — each a heading, a table (or an item list) and its notes — and on every
page the period and the page number. It prints what the sections hold and computes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kokin.compliance.sections.base import Context, Section
from kokin.pdf import FONT, japanese_pdf

if TYPE_CHECKING:
    from fpdf import FPDF

TITLE = "遵守状況の報告"
SUBTITLE = "個人情報の取扱いに係る特記仕様書 (別紙3) 第16条 管理上の報告 — 公金収納ネットワークサービス"
#: the widths of an item list (item, value), in millimetres
ITEM_WIDTHS = (40, 130)
GREY = (235, 235, 235)


def _table(pdf: FPDF, section: Section) -> None:
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    with_header = bool(section.columns)
    widths = [c.width for c in section.columns] if with_header else list(ITEM_WIDTHS)
    align = [("RIGHT" if c.numeric else "LEFT") for c in section.columns] if with_header else ["LEFT", "LEFT"]
    pdf.set_font(FONT, size=7.5 if with_header else 9)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        text_align=align,
        first_row_as_headings=with_header,
        headings_style=FontFace(emphasis="", fill_color=GREY),
        wrapmode=WrapMode.CHAR,
        line_height=pdf.font_size * 1.5,
        padding=1,
    ) as table:
        if with_header:
            table.row([c.label for c in section.columns])
        for row in section.rows:
            table.row(list(row))


def _section(pdf: FPDF, number: int, section: Section) -> None:
    from fpdf.enums import WrapMode

    pdf.set_font(FONT, size=11)
    pdf.set_fill_color(*GREY)
    pdf.multi_cell(0, 7, f"{number}. {section.title}", fill=True, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    if section.rows:
        _table(pdf, section)
    else:
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(0, 5, section.empty, align="L", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    if section.notes:
        pdf.ln(1)
        pdf.set_font(FONT, size=8)
        for note in section.notes:
            # Japanese has no spaces to break at: a line breaks where it is full
            pdf.multi_cell(0, 4.2, f"※ {note}", align="L", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _footers(pdf: FPDF, context: Context) -> None:
    """The period and "page / pages" at the foot of every page, once the number of pages is known."""
    pages = pdf.page
    pdf.set_auto_page_break(False)
    for page in range(1, pages + 1):
        pdf.page = page
        pdf.set_font(FONT, size=7)
        pdf.set_xy(pdf.l_margin, pdf.h - 12)
        pdf.cell(0, 5, f"{TITLE} {context.period.label}", align="L")
        pdf.set_xy(pdf.l_margin, pdf.h - 12)
        pdf.cell(0, 5, f"{page} / {pages}", align="R")
    pdf.page = pages


def render(context: Context, sections: list[Section]) -> bytes:
    pdf = japanese_pdf(title=f"{TITLE} {context.period.label}", created=context.made_at)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    pdf.cell(0, 5, SUBTITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 9, f"対象期間: {context.period.label}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for number, section in enumerate(sections, 1):
        _section(pdf, number, section)
    _footers(pdf, context)
    return bytes(pdf.output())
