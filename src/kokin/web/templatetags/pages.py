"""The link to another page of a list: ``{% page_query 3 %}`` is the current query string with
``page=3``, so a list's filters are kept across its pages (``kokin/_pages.html`` uses it).

``param`` names the page parameter when one screen has several lists (``roster_page``); ``drop`` names
parameters that must not follow to the next page, e.g. the audit page's ``verify`` and ``download``,
which would check the chain or download the CSV again."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int, param: str = "", drop: str = "") -> str:
    query: QueryDict = context["request"].GET.copy()
    for name in drop.split():
        query.pop(name, None)
    query[param or "page"] = str(number)
    return "?" + query.urlencode()
