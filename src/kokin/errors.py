"""The base of every kokin error, for the hub's parts: :class:`KokinError` (a message in Japanese and
English). It is defined in :mod:`kokin.formats.errors`, the lowest layer, so that ``kokin.formats`` and
``kokin.bank``, which may import no other part of kokin, derive their errors from it too."""

from __future__ import annotations

from kokin.formats.errors import KokinError

__all__ = ["KokinError"]
