"""PDF documents in Japanese with the font embedded: the one set-up of fpdf2 for the hub's reports
(消去証明書, 漏えい等報告).

The font is Noto Sans JP (SIL Open Font License 1.1) from the ``pylopdf-fonts-jp`` package; fpdf2
embeds the subset of glyphs used (a ``FontFile3`` stream), so a document reads the same on any
machine, with no font installed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "NotoSansJP"


def japanese_pdf(*, title: str, created: dt.datetime) -> FPDF:
    """An A4 document with 20 mm margins and :data:`FONT` loaded; no page yet."""
    # imported here: fpdf and the font package weigh ~35 MiB in every worker that never renders a PDF
    import pylopdf_fonts_jp
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creator("kokin 公金収納ネットワークサービス")
    pdf.set_title(title)
    pdf.set_creation_date(created)
    pdf.set_margins(20, 20, 20)
    pdf.add_font(FONT, "", str(pylopdf_fonts_jp.sans_path()))
    return pdf
