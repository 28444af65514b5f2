"""``{{ value|comma }}``: an integer with thousands separators (12,345)."""

from __future__ import annotations

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
