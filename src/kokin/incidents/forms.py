"""The forms of the incident pages: move on with a note, write a note, edit the report draft."""

from __future__ import annotations

from typing import Any

from django import forms

from kokin.incidents.models import State
from kokin.incidents.report import FIELDS


class AdvanceForm(forms.Form):
    to = forms.ChoiceField(label="次の状態", choices=State.choices)
    note = forms.CharField(label="経過 (理由・対応・区からの指示など。必須)", widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    text = forms.CharField(label="経過の記入", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class ReportForm(forms.Form):
    """One text area per field of the report (the 概要 at least), and whether 不正の目的 is suspected."""

    malicious = forms.BooleanField(label="不正の目的をもって行われたおそれがある (確報の期限は 60 日)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in FIELDS:
            self.fields[code] = forms.CharField(
                label=label, required=code == "overview", max_length=20_000, widget=forms.Textarea(attrs={"rows": 5})
            )

    def content(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(code, "") for code, _ in FIELDS}
