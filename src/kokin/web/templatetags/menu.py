"""``{% role_menu %}``: the header's links for the signed-in user's roles (:mod:`kokin.web.menu`)."""

from __future__ import annotations

from typing import Any

from django import template

from kokin.web.menu import Link, links_for

register = template.Library()


@register.inclusion_tag("kokin/_menu.html", takes_context=True)
def role_menu(context: dict[str, Any]) -> dict[str, list[Link]]:
    user = context.get("user")
    return {"links": links_for(user) if user is not None and user.is_authenticated else []}
