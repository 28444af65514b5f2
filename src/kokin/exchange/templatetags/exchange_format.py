"""``{{ value|comma }}``: an integer with thousands separators (12,345); ``{{ summary|debit_outcome }}``:
the 振替済 / 振替不能 totals of a debit result."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def comma(value: object) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{int(str(value)):,}"
    except ValueError:
        return str(value)


@register.filter
def debit_outcome(summary: dict[str, Any]) -> dict[str, int]:
    """振替済 (result code 0) and 振替不能 (every other code) counts and amounts of a debit result,
    from its per-result-code summary; the same split as the trailer's totals."""
    done = {"transferred_count": 0, "transferred_amount": 0, "failed_count": 0, "failed_amount": 0}
    for code, row in (summary or {}).get("by_result_code", {}).items():
        key = "transferred" if code == "0" else "failed"
        done[f"{key}_count"] += int(row.get("count", 0))
        done[f"{key}_amount"] += int(row.get("amount", 0))
    return done
