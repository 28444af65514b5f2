"""File formats the hub carries: a declarative fixed-width engine and one module per data kind.

Every format module (in :mod:`kokin.formats.kinds`) has the same face (``NAME``, ``LAYOUT``,
``parse``, ``validate``, ``iter_records``, ``build``, ``summary``); :data:`FORMATS` maps the CLI
names to them and :func:`detect` tells which one a file is. Nothing here needs the server.
"""

from __future__ import annotations

from types import ModuleType

from kokin.formats.kinds import general_receipt, mpn_receipt, special_breakdown, special_receipt, zengin_debit

# The kind modules are also names of this package: ``from kokin.formats import zengin_debit`` is the
# spelling docs/formats/*.md show for using the library from Python.
__all__ = [
    "FORMATS",
    "detect",
    "general_receipt",
    "mpn_receipt",
    "special_breakdown",
    "special_receipt",
    "zengin_debit",
]

FORMATS: dict[str, ModuleType] = {
    zengin_debit.NAME: zengin_debit,
    mpn_receipt.NAME: mpn_receipt,
    general_receipt.NAME: general_receipt,
    general_receipt.WASTE_NAME: general_receipt.waste,
    special_receipt.NAME: special_receipt,
    special_breakdown.NAME: special_breakdown,
}


def detect(head: bytes) -> tuple[str | None, str]:
    """Guess a file's format from its first bytes; return ``(name, reason)`` (name None if unsure)."""
    if not head:
        return None, "空のファイルです / the file is empty"
    for name, module in FORMATS.items():
        ok, reason = module.looks_like(head)
        if ok:
            return name, reason
    return None, "どの形式のヘッダーとも一致しません / the first record matches no known header"
