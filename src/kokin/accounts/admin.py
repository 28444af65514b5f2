"""The system administrator's pages (``/manage/``): departments, businesses, data kinds, accounts, roles.

Only a system administrator (``User.is_system_admin``) past the second factor may use them
(:meth:`KokinAdminSite.has_permission`); Django's own staff and model permissions play no part. The
site registers these five models and nothing else, so no file and no operation-log entry is reachable
from it. Every addition, change and deletion is written to the operation log, as are the actions
「第2要素をリセット」 and 「ロック解除」 and every password set here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts import services
from kokin.accounts.models import Business, DataKind, Department, RoleAssignment, User, WebAuthnDevice
from kokin.audit.services import record


class KokinAdminSite(admin.AdminSite):
    site_header = "kokin システム管理"
    site_title = "kokin"
    index_title = "課・業務・利用者の管理"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and getattr(user, "is_system_admin", False)
            and services.is_verified(user)
        )

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """The hub's own login (with its second factor) is the only way in."""
        if request.user.is_authenticated:
            raise PermissionDenied("システム管理者だけが利用できます。")
        return HttpResponseRedirect(reverse("accounts:login"))

    def password_change(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The hub's own password change (policy, operation log) instead of the admin's."""
        return HttpResponseRedirect(reverse("accounts:password_change"))


site = KokinAdminSite(name="admin")


def _label(obj: Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk} {obj}"


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Open to the system administrator only; every change goes to the operation log."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        record(action="admin_add", request=request, object=_label(obj), detail={"change": message})
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        record(action="admin_change", request=request, object=_label(obj), detail={"change": message})
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            record(action="admin_delete", request=request, object=_label(obj))
        return super().log_deletions(request, queryset)


class InlineForSystemAdmin(admin.TabularInline):  # type: ignore[type-arg]
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return site.has_permission(request)


@admin.register(Department, site=site)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "allowed_networks"]
    search_fields = ["code", "name"]


class DataKindInline(InlineForSystemAdmin):
    model = DataKind
    extra = 0


@admin.register(Business, site=site)
class BusinessAdmin(AuditedAdmin):
    list_display = ["code", "name", "department"]
    list_filter = ["department"]
    search_fields = ["code", "name"]
    inlines = [DataKindInline]


@admin.register(DataKind, site=site)
class DataKindAdmin(AuditedAdmin):
    list_display = ["label", "business", "format", "direction", "yearly_volume"]
    list_filter = ["direction", "format", "business__department"]


@admin.register(RoleAssignment, site=site)
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = ["user", "business", "role"]
    list_filter = ["role", "business__department", "business"]
    search_fields = ["user__username", "user__display_name"]


class RoleInline(InlineForSystemAdmin):
    model = RoleAssignment
    extra = 0


PASSWORD_HELP = password_validators_help_text_html()
ACCOUNT_FIELDS = [
    "username",
    "display_name",
    "department",
    "is_active",
    "is_system_admin",
    "is_auditor",
    "must_change_password",
    "client_cert_fingerprint",
]


def _check_pair(form: forms.BaseForm, user: User, first: str, second: str) -> str:
    """The new password if both fields agree and it passes the password policy ("" if none given)."""
    p1, p2 = form.cleaned_data.get(first) or "", form.cleaned_data.get(second) or ""
    if not p1 and not p2:
        return ""
    if p1 != p2:
        form.add_error(second, "確認用のパスワードが一致しません。")
        return ""
    try:
        validate_password(p1, user)
    except ValidationError as exc:
        form.add_error(first, exc)
        return ""
    return str(p1)


def _password_field(label: str, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class UserAddForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new account with an initial password, to be changed at first login."""

    password1 = _password_field("初期パスワード", True, PASSWORD_HELP)
    password2 = _password_field("初期パスワード (確認)", True)

    class Meta:
        model = User
        fields = [f for f in ACCOUNT_FIELDS if f != "must_change_password"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.instance.username = data.get("username") or ""
        self.new_password = _check_pair(self, self.instance, "password1", "password2")
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_password(self.new_password)
        user.must_change_password = True
        if commit:
            user.save()
        return user


class UserChangeForm(forms.ModelForm):  # type: ignore[type-arg]
    """Account details; entering a new password here resets it (to be changed at next login)."""

    new_password1 = _password_field("新しいパスワード (再設定するときだけ)", False, PASSWORD_HELP)
    new_password2 = _password_field("新しいパスワード (確認)", False)

    class Meta:
        model = User
        fields = ACCOUNT_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.new_password = _check_pair(self, self.instance, "new_password1", "new_password2")
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        if self.new_password:
            user.set_password(self.new_password)
            user.must_change_password = True
        if commit:
            user.save()
        return user


@admin.register(User, site=site)
class UserAdmin(AuditedAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    list_display = [
        "username",
        "display_name",
        "department",
        "is_active",
        "is_system_admin",
        "is_auditor",
        "second_factors",
        "locked",
    ]
    list_filter = ["department", "is_active", "is_system_admin", "is_auditor"]
    search_fields = ["username", "display_name"]
    ordering = ["username"]
    inlines = [RoleInline]
    actions = ["reset_factors", "unlock"]
    readonly_fields = ["last_login", "date_joined"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            fields = [f for f in ACCOUNT_FIELDS if f != "must_change_password"] + ["password1", "password2"]
            return [(None, {"fields": fields})]
        return [
            (None, {"fields": ACCOUNT_FIELDS}),
            ("パスワードの再設定", {"fields": ["new_password1", "new_password2"]}),
            ("記録", {"fields": ["last_login", "date_joined"]}),
        ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and getattr(form, "new_password", None):
            services.password_changed(request=request, user=obj, by_admin=True)

    @admin.display(description="第2要素")
    def second_factors(self, obj: User) -> str:
        parts = []
        if TOTPDevice.objects.filter(user=obj, confirmed=True).exists():
            parts.append("認証アプリ")
        keys = WebAuthnDevice.objects.filter(user=obj, confirmed=True).count()
        if keys:
            parts.append(f"セキュリティキー {keys}")
        codes = StaticToken.objects.filter(device__user=obj, device__confirmed=True).count()
        if codes:
            parts.append(f"回復コード {codes}")
        return "・".join(parts) or "未登録"

    @admin.display(description="ロック", boolean=True)
    def locked(self, obj: User) -> bool:
        return obj.username in services.locked_usernames([obj.username])

    @admin.action(description="第2要素をリセット")
    def reset_factors(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "自分の第2要素は「認証設定」で変更してください。", messages.WARNING)
                continue
            services.reset_second_factors(request=request, user=user)
            done += 1
        if done:
            self.message_user(
                request,
                f"{done} 人の第2要素をリセットしました。次回ログイン時に認証アプリを登録し直します。",
                messages.SUCCESS,
            )

    @admin.action(description="ロック解除")
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.unlock(request=request, user=user)
        self.message_user(request, f"{queryset.count()} 人のロックを解除しました。", messages.SUCCESS)
