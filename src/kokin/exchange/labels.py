"""Japanese names for the codes an exchange page would otherwise show as they are stored: a file's
format (``mpn-receipt``) and what a download handed over (``zip``). An unknown code is shown as it is,
so a page never hides what the database holds."""

from __future__ import annotations

from kokin.formats import FORMATS

#: what :func:`kokin.exchange.services.record_download` calls each download (``what``)
DOWNLOAD_LABELS: dict[str, str] = {
    "original": "元のファイル",
    "csv": "CSV",
    "xlsx": "Excel",
    "failures_csv": "振替不能分のみ (CSV)",
    "failures_xlsx": "振替不能分のみ (Excel)",
    "zip": "パスワード付き ZIP",
}


def format_label(code: str) -> str:
    """The format's Japanese name from its layout, e.g. ``MPN済通収納データ (種別コード61)``."""
    module = FORMATS.get(code)
    return module.LAYOUT.ja if module is not None else code


def download_label(code: str) -> str:
    return DOWNLOAD_LABELS.get(code, code)
