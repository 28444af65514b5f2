"""The forms of the training pages: acknowledge the rules, record training, choose the report's period.
Each error names its field (the label is shown beside it) and says why, in Japanese."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from kokin.accounts.models import User
from kokin.training.models import Course

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AcknowledgeForm(forms.Form):
    agree = forms.BooleanField(
        label="上記の取扱規程を読み、遵守します",
        error_messages={"required": "「上記の取扱規程を読み、遵守します」にチェックを入れてください。"},
    )
    #: the version the page showed: a newer one taking effect meanwhile must be read first
    version = forms.IntegerField(widget=forms.HiddenInput)
    next = forms.CharField(widget=forms.HiddenInput, required=False)


class OperatorChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        department = f" {obj.department.name}" if obj.department else ""
        return f"{obj.display_name or obj.username} ({obj.username}){department}"


class RecordForm(forms.Form):
    """Who completed which course on which day."""

    course = forms.ModelChoiceField(
        label="研修",
        queryset=Course.objects.filter(active=True),
        error_messages={
            "required": "研修を選んでください。",
            "invalid_choice": "研修: 選んだ研修はありません (実施中の研修から選んでください)。",
        },
    )
    completed_on = forms.DateField(
        label="受講日",
        widget=DATE_INPUT,
        error_messages={
            "required": "受講日を入力してください。",
            "invalid": "受講日: 日付 (YYYY-MM-DD) ではありません。",
        },
    )
    users = OperatorChoice(
        label="受講者",
        queryset=User.objects.filter(is_active=True)
        .select_related("department")
        .order_by("department__code", "username"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "受講者を 1 人以上選んでください。",
            "invalid_choice": "受講者: 利用者「%(value)s」はいません。",
            "invalid_pk_value": "受講者: 「%(pk)s」は利用者の番号ではありません。",
        },
    )
    note = forms.CharField(label="備考", max_length=500, required=False)

    def clean_completed_on(self) -> Any:
        day = self.cleaned_data["completed_on"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(f"受講日: {day:%Y-%m-%d} は未来の日付です (本日は {today:%Y-%m-%d})。")
        return day


class PeriodForm(forms.Form):
    """The report's period, ``?from=…&to=…`` (both days included; either may be left open)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in (("from", "期間の初日"), ("to", "期間の末日")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                widget=DATE_INPUT,
                error_messages={"invalid": f"{label}: 日付ではありません。"},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", "期間の末日: 初日より前の日付です。")
        return data

    def period(self) -> tuple[Any, Any]:
        """``(start, end)`` of a valid form, each a date or ``None``."""
        return self.cleaned_data.get("from"), self.cleaned_data.get("to")
