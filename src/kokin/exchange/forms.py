"""Forms of the exchange's pages (Japanese labels)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from kokin.accounts.models import Business, DataKind
from kokin.exchange.downloads import CSV_ENCODINGS, HEADER_CHOICES
from kokin.exchange.states import State
from kokin.vault.errors import ExportError
from kokin.vault.export import MIN_TYPED_LENGTH, check_password


class KindChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class UploadForm(forms.Form):
    data_kind = KindChoice(label="データ種別", queryset=DataKind.objects.none(), empty_label=None)
    file = forms.FileField(label="ファイル", allow_empty_file=True)
    confirm_duplicate = forms.BooleanField(label="以前のファイルと同じ (重複) でも送信する", required=False)
    confirm_warnings = forms.BooleanField(
        label="警告 (金融機関マスタにない金融機関・支店コードなど) を確認したうえで送信する", required=False
    )

    def __init__(self, *args: Any, kinds: QuerySet[DataKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["data_kind"]
        field.queryset = kinds  # type: ignore[attr-defined]
        if kinds.count() == 1:
            field.initial = kinds.first()


class FilterForm(forms.Form):
    business = forms.ModelChoiceField(
        label="業務", queryset=Business.objects.none(), required=False, empty_label="すべて"
    )
    data_kind = forms.ModelChoiceField(
        label="データ種別", queryset=DataKind.objects.none(), required=False, empty_label="すべて"
    )
    state = forms.ChoiceField(label="状態", required=False, choices=[("", "すべて"), *State.choices])
    direction = forms.ChoiceField(label="方向", required=False, choices=[("", "すべて"), *DataKind.Direction.choices])
    since = forms.DateField(label="受信日 (から)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="受信日 (まで)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, businesses: QuerySet[Business], kinds: QuerySet[DataKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business"].queryset = businesses  # type: ignore[attr-defined]
        self.fields["data_kind"].queryset = kinds  # type: ignore[attr-defined]
        self.fields["data_kind"].label_from_instance = lambda k: f"{k.business.name}: {k.label}"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, dt.date) and isinstance(until, dt.date) and since > until:
            self.add_error("until", "「まで」は「から」と同じ日かそれより後にしてください。")
        return data

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "business": data.get("business"),
            "data_kind": data.get("data_kind"),
            "state": data.get("state") or "",
            "direction": data.get("direction") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }


class SheetForm(forms.Form):
    """The Excel download: which header row (Japanese with decoded columns unless the field IDs are asked for)."""

    headers = forms.ChoiceField(label="見出し", choices=list(HEADER_CHOICES.items()), initial="ja", required=False)

    def clean_headers(self) -> str:
        return str(self.cleaned_data.get("headers") or "ja")


class CsvForm(SheetForm):
    encoding = forms.ChoiceField(label="文字コード", choices=list(CSV_ENCODINGS.items()), initial="cp932")


class PackageForm(forms.Form):
    password_mode = forms.ChoiceField(
        label="パスワード",
        choices=[("generate", "自動生成する (20 文字、表示は一度だけ)"), ("typed", "自分で入力する")],
        initial="generate",
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=f"パスワード ({MIN_TYPED_LENGTH} 文字以上の半角英数字・記号)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="パスワード (確認)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password_mode") != "typed":
            data["password"] = None
            return data
        password = data.get("password") or ""
        try:
            check_password(password)
        except ExportError as exc:
            self.add_error("password", exc.message_ja)
            return data
        if password != data.get("password_again"):
            self.add_error("password_again", "確認のパスワードが一致しません。")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
