"""File formats the hub carries: a declarative fixed-width engine and one module per data kind.

Every format module (in :mod:`kokin.formats.kinds`) has the same face (``NAME``, ``LAYOUT``,
``parse``, ``validate``, ``iter_records``, ``build``, ``summary``); :data:`FORMATS` maps the CLI
names to them, :func:`candidates` tells which ones a file looks like and :func:`detect` which one it
is. Nothing here needs the server.

The kind modules (and numpy with them) are imported on first use of :data:`FORMATS`, a kind module or
:func:`detect`, not with the package: ``kokin --help`` and :mod:`kokin.formats.errors` stay cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kokin.formats.kinds import general_receipt, mpn_receipt, special_breakdown, special_receipt, zengin_debit

    FORMATS: dict[str, ModuleType]

# The kind modules are also names of this package: ``from kokin.formats import zengin_debit`` is the
# spelling docs/formats/*.md show for using the library from Python.
__all__ = [
    "FORMATS",
    "candidates",
    "detect",
    "general_receipt",
    "mpn_receipt",
    "special_breakdown",
    "special_receipt",
    "zengin_debit",
]

_KINDS = ("zengin_debit", "mpn_receipt", "general_receipt", "special_receipt", "special_breakdown")
_formats: dict[str, ModuleType] = {}


def _load_formats() -> dict[str, ModuleType]:
    if not _formats:
        from kokin.formats.kinds import general_receipt, mpn_receipt, special_breakdown, special_receipt, zengin_debit

        _formats.update(
            {
                zengin_debit.NAME: zengin_debit,
                mpn_receipt.NAME: mpn_receipt,
                general_receipt.NAME: general_receipt,
                general_receipt.WASTE_NAME: general_receipt.waste,
                special_receipt.NAME: special_receipt,
                special_breakdown.NAME: special_breakdown,
            }
        )
    return _formats


def __getattr__(name: str) -> Any:
    if name == "FORMATS":
        return _load_formats()
    if name in _KINDS:
        return importlib.import_module(f"kokin.formats.kinds.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def candidates(head: bytes) -> list[tuple[str, str]]:
    """Every format a file starting with ``head`` looks like, as ``(name, reason)``, in :data:`FORMATS` order."""
    found = []
    for name, module in _load_formats().items():
        ok, reason = module.looks_like(head)
        if ok:
            found.append((name, reason))
    return found


def detect(head: bytes) -> tuple[str | None, str]:
    """Guess a file's format from its first bytes; return ``(name, reason)`` (name None if unsure)."""
    if not head:
        return None, "空のファイルです / the file is empty"
    found = candidates(head)
    if found:
        return found[0]
    return None, "どの形式のヘッダーとも一致しません / the first record matches no known header"
