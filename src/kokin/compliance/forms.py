"""The form that asks for a report: a month, or a period (first and last day); the reasons in Japanese."""

from __future__ import annotations

from typing import Any

from django import forms

from kokin.compliance.errors import PeriodError
from kokin.compliance.period import Period, check_started, parse_day, parse_month


class ReportForm(forms.Form):
    month = forms.CharField(
        label="月",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    start = forms.CharField(
        label="期間の始め", required=False, max_length=20, widget=forms.TextInput(attrs={"type": "date"})
    )
    end = forms.CharField(
        label="期間の終わり", required=False, max_length=20, widget=forms.TextInput(attrs={"type": "date"})
    )

    period: Period

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        month, start, end = (data.get(name, "").strip() for name in ("month", "start", "end"))
        if month and (start or end):
            raise forms.ValidationError("月か期間のどちらか一方を指定してください。")
        try:
            if month:
                period = parse_month(month, field="月", field_en="month")
            elif start or end:
                if not (start and end):
                    raise forms.ValidationError("期間は始めと終わりの両方を指定してください。")
                period = Period(
                    parse_day(start, field="期間の始め", field_en="start"),
                    parse_day(end, field="期間の終わり", field_en="end"),
                )
            else:
                raise forms.ValidationError("月 (年-月) か期間 (始めと終わり) を指定してください。")
            check_started(period)
        except PeriodError as exc:
            raise forms.ValidationError(exc.message_ja) from exc
        self.period = period
        return data
