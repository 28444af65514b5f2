"""Who may do what, asked through Django: ``user.has_perm("kokin.read_audit")`` answers from
:func:`kokin.accounts.permissions.can` (``AUTHENTICATION_BACKENDS``).

So a part below accounts checks a permission without importing it: the auditor's page
(:mod:`kokin.audit.views`) asks for ``kokin.read_audit``. The name is ``kokin.`` and an
:class:`~kokin.accounts.permissions.Action`; ``obj`` is the business for a business action.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from kokin.accounts.models import Business, User
from kokin.accounts.permissions import Action, can

PREFIX = "kokin."


def perm(action: Action) -> str:
    """The permission name of ``action`` (``kokin.read_audit``)."""
    return PREFIX + action.value


class PermissionBackend(BaseBackend):
    """Answers ``has_perm`` for the ``kokin.*`` names only; it never authenticates anyone."""

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not perm.startswith(PREFIX) or not isinstance(user_obj, User):  # not ours, or the anonymous user
            return False
        try:
            action = Action(perm.removeprefix(PREFIX))
        except ValueError:
            return False
        return can(user_obj, action, obj if isinstance(obj, Business) else None)
