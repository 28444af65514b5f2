"""Labels for stored codes on the pages: ``{{ file.format|format_label }}``,
``{{ d.as|download_label }}``, ``{{ entry.actor|actor_label }}``, ``{{ e.action|action_label }}``,
``{{ t.outcome|transfer_outcome_label }}``, ``{{ e.object|object_label }}``.

Each shows the Japanese name and keeps the code itself in the element's ``title`` (an auditor
matching a page against the log or the CLI still finds it); a code with no name is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from kokin.audit import labels as audit_labels
from kokin.banklink import labels as banklink_labels
from kokin.exchange import labels as exchange_labels

register = template.Library()


def _titled(code: object, name: Callable[[str], str]) -> SafeString:
    text = "" if code is None else str(code)
    label = name(text)
    if label == text:
        return SafeString(conditional_escape(text))
    return format_html('<span title="{}">{}</span>', text, label)


@register.filter
def format_label(code: object) -> SafeString:
    return _titled(code, exchange_labels.format_label)


@register.filter
def download_label(code: object) -> SafeString:
    return _titled(code, exchange_labels.download_label)


@register.filter
def actor_label(code: object) -> SafeString:
    return _titled(code, audit_labels.actor_label)


@register.filter
def action_label(code: object) -> SafeString:
    return _titled(code, audit_labels.action_label)


@register.filter
def transfer_outcome_label(code: object) -> SafeString:
    return _titled(code, banklink_labels.transfer_outcome_label)


@register.filter
def object_label(code: object) -> SafeString:
    return _titled(code, audit_labels.object_label)
