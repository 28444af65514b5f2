"""消去証明書 (deletion certificate) as a PDF in Japanese, with the font embedded (:mod:`kokin.pdf`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kokin.exchange.models import DeletionCertificate
from kokin.formats.dates import wareki_text
from kokin.pdf import FONT, japanese_pdf

METHOD = (
    "暗号消去 (crypto-shredding): ファイルごとのデータ鍵 (AES-256-GCM) を破棄し、その後、暗号化された本体を"
    "削除しました。データ鍵がないため、残った複製 (バックアップ等) からも内容を復元できません。"
)
METHOD_EN = "crypto-shredding: the file's own data key was destroyed, then its encrypted body was deleted"


def when(value: dt.datetime | None) -> str:
    """2026-05-27 10:15:00 (令和8年5月27日), local time; "—" for none."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M:%S} ({wareki_text(local.date())})"


def render(cert: DeletionCertificate) -> bytes:
    """The certificate's PDF (A4, one page)."""
    pdf = japanese_pdf(title=f"消去証明書 {cert.number}", created=cert.issued_at)
    pdf.add_page()
    pdf.set_font(FONT, size=20)
    pdf.cell(0, 14, "消去証明書", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 6, "Certificate of Deletion", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, f"証明書番号: {cert.number}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"発行日時: {when(cert.issued_at)}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(
        0,
        6,
        f"{cert.business_label} 御中\n\n"
        "公金収納ネットワークサービスで保管していた下記の電磁的記録を、別紙3 第14条に基づき、"
        "復元できない方法で消去したことを証明します。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    rows = [
        ("ファイルID", str(cert.file_uid)),
        ("データ種別", cert.kind_label),
        ("業務", cert.business_label),
        ("ファイル名", cert.original_name),
        ("サイズ", f"{cert.size:,} バイト"),
        ("SHA-256", cert.sha256),
        ("受信日時", when(cert.received_at)),
        ("検収日時", when(cert.inspected_at)),
        ("消去日時", when(cert.erased_at)),
        ("消去の理由", cert.reason),
        ("消去の方法", cert.method),
        ("承認者", cert.approved_by),
        ("実行者", cert.executed_by),
    ]
    label_width = 32
    with pdf.table(
        col_widths=(label_width, 170 - label_width), text_align="LEFT", line_height=6, first_row_as_headings=False
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value)
    pdf.ln(6)
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(
        0,
        4,
        "この証明書は kokin が消去の処理と同時に作成しました。消去の記録は操作ログ (改ざん検知付き) にも残り、"
        "`kokin audit verify` で検証できます。\n"
        f"Method: {METHOD_EN}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
