"""The auditor's search filters (期間, 操作者, 操作, 結果, 対象)."""

from __future__ import annotations

from typing import Any

from django import forms

from kokin.audit.export import ENCODINGS
from kokin.audit.labels import ACTION_LABELS, OUTCOME_LABELS, action_label
from kokin.audit.models import AuditEntry

ENCODING_LABELS = {"utf-8-sig": "UTF-8 (BOM付き)", "utf-8": "UTF-8", "cp932": "Shift_JIS (cp932)"}


class SearchForm(forms.Form):
    since = forms.DateField(label="期間 (から)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="期間 (まで)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label="操作者", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False)
    outcome = forms.ChoiceField(label="結果", required=False, choices=[("", "すべて"), *OUTCOME_LABELS.items()])
    object_contains = forms.CharField(label="対象 (を含む)", required=False, max_length=255)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = set(ACTION_LABELS) | set(AuditEntry.objects.values_list("action", flat=True).distinct())
        choices = sorted(((code, f"{action_label(code)} ({code})") for code in codes), key=lambda c: c[1])
        self.fields["action"].choices = [("", "すべて"), *choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "「まで」は「から」と同じ日かそれより後にしてください。")
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for :func:`kokin.audit.selectors.entries` (call after ``is_valid``)."""
        return {name: self.cleaned_data.get(name) or None for name in ("since", "until")} | {
            name: self.cleaned_data.get(name) or "" for name in ("actor", "action", "outcome", "object_contains")
        }


class ExportForm(forms.Form):
    encoding = forms.ChoiceField(label="文字コード", choices=[(e, ENCODING_LABELS[e]) for e in ENCODINGS])
