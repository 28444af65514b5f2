"""Test support: the acknowledgement of the handling rules, given or taken back where a test needs it.

The demo ward (``ward`` fixture, :func:`kokin.demo.ward.load`) gives its operators a current
acknowledgement, as ``kokin demo`` does; an operator a test makes itself gets one with
:func:`acknowledged`, or it is sent to the acknowledgement page like a real new operator. Never used by
the hub itself.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kokin.accounts.models import User
from kokin.demo import ward
from kokin.training import selectors
from kokin.training.models import Acknowledgement, HandlingRules


def rules_in_effect() -> HandlingRules:
    """The rules in effect, the demo's first version (effective today) if there are none yet."""
    found = selectors.current_rules()
    if found is None:
        ward.seed_training([])
        found = selectors.current_rules()
    assert found is not None
    return found


def acknowledged(user: User, *, days_ago: int = 0) -> Acknowledgement:
    """``user`` acknowledged the rules in effect ``days_ago`` days ago (a row only, as a fixture: no log)."""
    rules = rules_in_effect()
    return Acknowledgement.objects.create(
        user=user,
        rules=rules,
        rules_version=rules.version,
        at=timezone.now() - dt.timedelta(days=days_ago),
        text_sha256=rules.sha256,
        client_address="192.0.2.1",
    )


def backdate(user: User, days: int) -> None:
    """Move ``user``'s acknowledgements ``days`` days into the past."""
    for ack in Acknowledgement.objects.filter(user=user):
        ack.at -= dt.timedelta(days=days)
        ack.save(update_fields=["at"])
