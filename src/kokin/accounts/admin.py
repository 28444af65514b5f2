"""The system administrator's pages (``/manage/``): departments, businesses, data kinds, accounts, roles,
and the equipment register (情報処理機器).

Only a system administrator (``User.is_system_admin``) past the second factor may use them
(:meth:`KokinAdminSite.has_permission`); Django's own staff and model permissions play no part. The
site registers these models (and the responsible person of :mod:`kokin.registers.admin`, the training
courses and the handling rules of :mod:`kokin.training.admin`) and nothing else, so no file and no
operation-log entry is reachable from it. Every addition, change and deletion is written to the
operation log, as are the actions
「パスワードと第2要素をリセット」 and 「ロック解除」.

What the administrator cannot do alone (docs/security.md): a role added here is only a grant request
(:mod:`kokin.accounts.grants`) until a second person approves it; a held role can be removed but not
changed; no password is typed here: a new account and a reset get a one-time enrolment link
(:mod:`kokin.accounts.enrolment`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kokin.accounts import enrolment, grants, services, terminals
from kokin.accounts.actors import actor_of
from kokin.accounts.models import Business, DataKind, Department, RoleAssignment, Terminal, User, WebAuthnDevice
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
        record(action="admin_add", actor=actor_of(request), object=_label(obj), detail={"change": message})
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        record(action="admin_change", actor=actor_of(request), object=_label(obj), detail={"change": message})
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        actor = actor_of(request)
        for obj in queryset:
            record(action="admin_delete", actor=actor, object=_label(obj))
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
    list_display = ["code", "name", "department", "consignor_codes"]
    list_filter = ["department"]
    search_fields = ["code", "name"]
    inlines = [DataKindInline]


@admin.register(DataKind, site=site)
class DataKindAdmin(AuditedAdmin):
    list_display = ["label", "business", "format", "direction", "yearly_volume"]
    list_filter = ["direction", "format", "business__department"]


class RoleAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    """Asking for a role: the rules are checked here so the administrator sees why in Japanese."""

    class Meta:
        model = RoleAssignment
        fields = ["user", "business", "role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user, business, role = data.get("user"), data.get("business"), data.get("role")
        if user is not None and business is not None and role:
            try:
                grants.check_grant(user, business, role)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


def _requested_message(count: int) -> str:
    return (
        f"役割の付与を {count} 件申請しました。業務管理者か別のシステム管理者が"
        "「役割付与の申請」画面で承認すると有効になります。"
    )


@admin.register(RoleAssignment, site=site)
class RoleAssignmentAdmin(AuditedAdmin):
    """Adding here asks for the role (a grant request); an existing role is removed, never changed."""

    form = RoleAssignmentForm
    list_display = ["user", "business", "role"]
    list_filter = ["role", "business__department", "business"]
    search_fields = ["user__username", "user__display_name"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a wider or different role is a new grant request; narrowing is a deletion

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        grants.request_grant(actor=actor_of(request), user=obj.user, business=obj.business, role=obj.role)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # nothing was added: the request is logged by grants.request_grant

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> HttpResponse:
        self.message_user(request, _requested_message(1), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:accounts_roleassignment_changelist"))


class RoleInlineForm(forms.ModelForm):  # type: ignore[type-arg]
    """A held role is shown, not edited: a change would widen access without a second person."""

    class Meta:
        model = RoleAssignment
        fields = ["business", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for field in self.fields.values():
                field.disabled = True


class RoleFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """New rows become grant requests; the parent account's flags and the rows' pairs are checked."""

    def clean(self) -> None:
        super().clean()
        user: User = self.instance
        asked: list[tuple[int, str]] = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.instance.pk is not None:
                continue
            if form.cleaned_data.get("DELETE") or not form.has_changed():
                continue
            business, role = form.cleaned_data.get("business"), form.cleaned_data.get("role")
            if business is None or not role:
                continue
            try:
                grants.check_grant(user, business, role, also=asked)
            except ValidationError as exc:
                form.add_error(None, exc)
            asked.append((business.pk, role))


class RoleInline(InlineForSystemAdmin):
    model = RoleAssignment
    form = RoleInlineForm
    formset = RoleFormSet
    extra = 0
    verbose_name = "役割"
    verbose_name_plural = "役割 (追加は申請になり、承認されると有効になります)"


ACCOUNT_FIELDS = [
    "username",
    "display_name",
    "email",
    "department",
    "is_active",
    "is_system_admin",
    "is_auditor",
    "client_cert_fingerprint",
]


class UserAddForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new account without a password: the operator sets it through a one-time enrolment link."""

    class Meta:
        model = User
        fields = ACCOUNT_FIELDS


class UserChangeForm(forms.ModelForm):  # type: ignore[type-arg]
    """Account details. No password field: a reset issues an enrolment link (the action
    「パスワードと第2要素をリセット」), so the administrator never knows the operator's password."""

    class Meta:
        model = User
        fields = ACCOUNT_FIELDS


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
            return [(None, {"fields": ACCOUNT_FIELDS})]
        return [(None, {"fields": ACCOUNT_FIELDS}), ("記録", {"fields": ["last_login", "date_joined"]})]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        new = formset.save(commit=False)
        for assignment in formset.deleted_objects:
            assignment.delete()  # narrowing takes effect at once (logged as a role_change)
        actor = actor_of(request)
        for assignment in new:
            grants.request_grant(actor=actor, user=form.instance, business=assignment.business, role=assignment.role)
        formset.new_objects = []  # nothing was added; the change message must not say so
        if new:
            self.message_user(request, _requested_message(len(new)), messages.SUCCESS)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> HttpResponse:
        issued = enrolment.reset_credentials(
            actor=actor_of(request), user=obj, site_url=request.build_absolute_uri("/"), new=True
        )
        self._hand_over(request, issued, obj)
        return super().response_add(request, obj, post_url_continue)

    def _hand_over(self, request: HttpRequest, issued: enrolment.Issued, user: User) -> None:
        if issued.mailed_to_operator:
            text = f"{user} の登録用リンクを本人のメールアドレスに送りました。"
            self.message_user(request, text, messages.SUCCESS)
            return
        self.message_user(
            request,
            format_html(
                "{} の登録用リンク (1回限り・{} 時間有効) を別の経路で本人に渡してください。"
                "このリンクを自分で使わないでください (使用は操作ログに記録され、監査者に通知されています): {}",
                user,
                settings.PASSWORD_RESET_TIMEOUT // 3600,
                issued.link,
            ),
            messages.WARNING,
        )

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

    @admin.action(description="パスワードと第2要素をリセット (登録用リンクを発行)")
    def reset_factors(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor, site_url = actor_of(request), request.build_absolute_uri("/")
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "自分の第2要素は「認証設定」で変更してください。", messages.WARNING)
                continue
            self._hand_over(request, enrolment.reset_credentials(actor=actor, user=user, site_url=site_url), user)

    @admin.action(description="ロック解除")
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = actor_of(request)
        for user in queryset:
            services.unlock(actor=actor, user=user)
        self.message_user(request, f"{queryset.count()} 人のロックを解除しました。", messages.SUCCESS)


@admin.register(Terminal, site=site)
class TerminalAdmin(AuditedAdmin):
    """The equipment register (別紙3 第6条1): a device is added, changed or retired, never deleted, so the
    register's versions (:mod:`kokin.registers`) keep what was in use when."""

    list_display = ["name", "kind", "place", "address", "cert_fingerprint", "keeper", "registered_at", "retired_at"]
    list_filter = ["kind", "department", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "place", "address", "cert_fingerprint", "owner"]
    fields = [
        "name",
        "kind",
        "place",
        "address",
        "cert_fingerprint",
        "owner",
        "department",
        "registered_at",
        "retired_at",
    ]
    actions = ["retire"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retired instead: the register keeps every device that was in use

    @admin.display(description="管理者")
    def keeper(self, obj: Terminal) -> str:
        return obj.keeper

    @admin.action(description="選択した機器を廃止する")
    def retire(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        retired = [terminals.retire(terminal) for terminal in queryset if terminal.retired_at is None]
        self.message_user(request, f"{len(retired)} 台の機器を廃止しました。", messages.SUCCESS)
