"""The courses and the handling rules on the system administrator's site (``/manage/``), with its
permission check and its operation log (:class:`kokin.accounts.admin.AuditedAdmin`).

A version of the rules someone has acknowledged is evidence of what they read: it is shown, not
edited, and cannot be deleted; a change is a new version, which everyone acknowledges again once it
takes effect. Training records and acknowledgements are not here: records are made on the training
page (``/training/``), acknowledgements only by the operator.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kokin.accounts.admin import AuditedAdmin, site
from kokin.training.models import Course, HandlingRules

RULES_FIELDS = ("version", "title", "effective_from", "text")


@admin.register(Course, site=site)
class CourseAdmin(AuditedAdmin):
    list_display = ["code", "title", "version", "active"]
    list_filter = ["active"]
    search_fields = ["code", "title"]


@admin.register(HandlingRules, site=site)
class HandlingRulesAdmin(AuditedAdmin):
    list_display = ["version", "title", "effective_from", "acknowledged"]
    fields = RULES_FIELDS

    @staticmethod
    def _acknowledged(obj: HandlingRules | None) -> bool:
        return obj is not None and obj.pk is not None and obj.acknowledgements.exists()

    @admin.display(description="確認済みの人数")
    def acknowledged(self, obj: HandlingRules) -> int:
        return obj.acknowledgements.values("user").distinct().count()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return RULES_FIELDS if self._acknowledged(obj) else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._acknowledged(obj)
