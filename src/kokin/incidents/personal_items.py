"""The personal-data items of each data kind (別紙1), kept as data in ``data/personal_items.toml``.

>>> items_of("zengin-debit", "outbound")[-3:]
['預金者名', '請求金額', '引落年月日']
>>> items_of("general-receipt", "inbound", department="kaigo")[3]
'保険料額'
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("data") / "personal_items.toml"


@functools.cache
def _kinds() -> list[dict[str, Any]]:
    return list(tomllib.loads(TABLE.read_text(encoding="utf-8"))["kinds"])


def _entry(fmt: str, direction: str, department: str) -> dict[str, Any] | None:
    found = [k for k in _kinds() if k["format"] == fmt and k["direction"] == direction]
    own = [k for k in found if k.get("department") == department]
    general = [k for k in found if "department" not in k]
    return next(iter(own or general), None)


def items_of(fmt: str, direction: str, *, department: str = "") -> list[str]:
    """The items 別紙1 lists for the data kind; [] for one it does not list."""
    entry = _entry(fmt, direction, department)
    return list(entry["items"]) if entry else []
