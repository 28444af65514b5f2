"""Permissions asked through Django (``user.has_perm("kokin.<action>")``) answer as
:func:`kokin.accounts.permissions.can` does; Django's superuser flag grants none of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from kokin.accounts.backends import perm
from kokin.accounts.models import Business, User
from kokin.accounts.permissions import Action, can
from kokin.audit import views as audit_views


@pytest.mark.parametrize("username", ["auditor", "sysadmin", "zeimu-manage", "zeimu-send", "zeimu-view"])
def test_has_perm_answers_as_can_for_every_action(ward: Any, username: str) -> None:
    user = User.objects.get(username=username)
    furikae = Business.objects.get(code="zeimu-furikae")
    for action in Action:
        assert user.has_perm(perm(action)) == can(user, action), action
        assert user.has_perm(perm(action), furikae) == can(user, action, furikae), action


def test_only_the_auditor_may_read_the_log(ward: Any) -> None:
    holders = [u.username for u in User.objects.order_by("username") if u.has_perm("kokin.read_audit")]
    assert holders == ["auditor"]
    assert not AnonymousUser().has_perm("kokin.read_audit")


def test_a_business_permission_holds_on_that_business_only(ward: Any) -> None:
    sender = User.objects.get(username="zeimu-send")
    assert sender.has_perm("kokin.upload_file", Business.objects.get(code="zeimu-furikae"))
    assert not sender.has_perm("kokin.upload_file", Business.objects.get(code="zeimu-shuno"))


def test_unknown_names_are_refused(ward: Any) -> None:
    auditor = User.objects.get(username="auditor")
    assert not auditor.has_perm("kokin.erase_the_log") and not auditor.has_perm("audit.read_audit")


def test_a_django_superuser_gets_no_kokin_permission_and_no_auditor_page(ward: Any) -> None:
    root = User.objects.create_superuser("root", password="Kokin-Strong-Pass-2025")
    assert not any(root.has_perm(perm(action)) for action in Action)
    request = RequestFactory().get("/audit/")
    request.user = root
    with pytest.raises(PermissionDenied):
        audit_views.search(request)
