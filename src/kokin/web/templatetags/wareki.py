"""``{{ value|wareki }}``: a date or datetime with the Japanese era beside the Western date."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from kokin.formats.dates import wareki_text

register = template.Library()


@register.filter
def wareki(value: dt.date | dt.datetime | None) -> str:
    """2025-05-27 (令和7年5月27日), with the time for datetimes in the local zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local:%Y-%m-%d %H:%M:%S} ({wareki_text(local.date())})"
    return f"{value:%Y-%m-%d} ({wareki_text(value)})"
