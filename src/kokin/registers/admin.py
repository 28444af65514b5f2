"""The responsible person on the system administrator's site (``/manage/``): each change is a new record
(:func:`kokin.registers.services.appoint`), the older ones stay as the history, none is edited or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kokin.accounts.actors import actor_of
from kokin.accounts.admin import AuditedAdmin, site
from kokin.registers import services
from kokin.registers.models import ResponsiblePerson


@admin.register(ResponsiblePerson, site=site)
class ResponsiblePersonAdmin(AuditedAdmin):
    list_display = ["name", "title", "contact", "since", "recorded_at", "recorded_by", "is_current"]
    fields = ["name", "title", "contact", "since"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a change is a new record: the history keeps who was responsible when

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A change starts from the current record."""
        current = ResponsiblePerson.current()
        if current is None:
            return super().get_changeform_initial_data(request)
        return {"name": current.name, "title": current.title, "contact": current.contact, "since": current.since}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = services.appoint(
            name=obj.name, title=obj.title, contact=obj.contact, since=obj.since, actor=actor_of(request)
        )
        obj.pk, obj.recorded_at, obj.recorded_by = saved.pk, saved.recorded_at, saved.recorded_by
        obj._state.adding = False

    @admin.display(description="現在", boolean=True)
    def is_current(self, obj: ResponsiblePerson) -> bool:
        latest = ResponsiblePerson.current()
        return latest is not None and obj.pk == latest.pk
