"""Departments (課), businesses (業務), the data kinds they exchange, operators and their roles."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib.auth import get_backends
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_otp.models import Device, TimestampMixin

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    """CIDR ranges separated by commas, spaces or new lines; :class:`ValueError` for a bad one."""
    return [ipaddress.ip_network(part, strict=False) for part in text.replace(",", " ").split()]


def validate_networks(value: str) -> None:
    for line in value.split():
        try:
            ipaddress.ip_network(line, strict=False)
        except ValueError as exc:
            raise ValidationError(f"「{line}」は IP アドレス範囲 (CIDR) ではありません") from exc


def validate_terminal_address(value: str) -> None:
    """One IP address or one CIDR range (a terminal's address, or the range its addresses come from)."""
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise ValidationError(f"「{value}」は IP アドレスでも IP アドレス範囲 (CIDR) でもありません") from exc


def normalise_fingerprint(value: str) -> str:
    """A SHA-256 fingerprint as the hub compares it: hex, upper case, no colons or spaces."""
    return value.replace(":", "").replace(" ", "").strip().upper()


def validate_fingerprint(value: str) -> None:
    digits = normalise_fingerprint(value)
    if len(digits) != 64 or any(c not in "0123456789ABCDEF" for c in digits):
        raise ValidationError(f"「{value}」は SHA-256 指紋ではありません (16 進数 64 桁。コロン区切りも可)")


class Department(models.Model):
    """A ward department (課), e.g. 税務課; its terminals may be restricted to IP ranges."""

    code = models.SlugField("課コード", max_length=32, unique=True)
    name = models.CharField("課名", max_length=100)
    allowed_networks = models.TextField(
        "接続を許可する端末のIP範囲",
        blank=True,
        validators=[validate_networks],
        help_text="1行に1つ CIDR 形式で (空欄は制限なし)",
    )

    class Meta:
        verbose_name = verbose_name_plural = "課"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def networks(self) -> list[Network]:
        return parse_networks(self.allowed_networks)


class Business(models.Model):
    """A line of work (業務) in a department that owns files and operators, e.g. 国保 収納."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="businesses", verbose_name="課")
    code = models.SlugField("業務コード", max_length=32, unique=True)
    name = models.CharField("業務名", max_length=100)
    #: the 委託者コード(s) the bank gave this business for 口座振替; a debit request whose header names
    #: another is refused at upload (empty: not checked)
    consignor_codes = models.CharField(
        "委託者コード",
        max_length=200,
        blank=True,
        default="",
        validators=[
            RegexValidator(r"^\s*(\d{10}\s*(,\s*\d{10}\s*)*)?$", "委託者コードは10桁の数字です (複数はカンマ区切り)。")
        ],
        help_text="口座振替の委託者コード (10桁)。複数あればカンマ区切り。空欄なら照合しません。",
    )

    class Meta:
        verbose_name = verbose_name_plural = "業務"
        ordering = ["department__code", "code"]

    def __str__(self) -> str:
        return f"{self.department.name} {self.name}"

    @property
    def consignor_code_list(self) -> list[str]:
        return [code.strip() for code in self.consignor_codes.split(",") if code.strip()]


class DataKind(models.Model):
    """A kind of file a business exchanges with the bank (seed 別紙1), with its direction."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "受信 (金融機関から)"
        OUTBOUND = "outbound", "送信 (金融機関へ)"

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="data_kinds", verbose_name="業務")
    format = models.CharField("ファイル形式", max_length=40)
    direction = models.CharField("方向", max_length=10, choices=Direction.choices)
    label = models.CharField("データ名", max_length=100)
    yearly_volume = models.PositiveIntegerField("年間件数", default=0)
    #: the name the bank link knows this mailbox by (HULFT's ファイルID): the bank agent's spool
    #: folders and uploads name it; unset for a kind that is not exchanged over the link
    transfer_id = models.CharField(
        "転送ファイルID",
        max_length=50,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "英大文字・数字・-・_ で指定してください")],
    )
    #: for a debit request (outbound): the inbound kind its result file comes back to
    reply_kind = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="結果の受信先"
    )

    class Meta:
        verbose_name = verbose_name_plural = "データ種別"
        constraints = [
            models.UniqueConstraint(fields=["business", "format", "direction", "label"], name="unique_data_kind")
        ]

    def __str__(self) -> str:
        return f"{self.business} {self.label}"


class Role(models.TextChoices):
    """Roles per business (業務ごとの操作担当者)."""

    VIEW = "view", "閲覧"
    DOWNLOAD = "download", "取得"
    UPLOAD = "upload", "送信"
    APPROVE = "approve", "承認"
    MANAGE = "manage", "業務管理"


class User(AbstractUser):  # type: ignore[django-manager-missing]  # WebAuthnDevice.user comes from django-otp
    """An operator (操作担当者), a system administrator, an auditor or a bank system account."""

    display_name = models.CharField("氏名", max_length=100, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="operators", verbose_name="所属課"
    )
    is_system_admin = models.BooleanField("システム管理者", default=False)
    is_auditor = models.BooleanField("監査者", default=False)
    must_change_password = models.BooleanField("初期パスワード変更が必要", default=True)
    client_cert_fingerprint = models.CharField(
        "クライアント証明書 SHA-256 指紋",
        max_length=95,
        blank=True,
        help_text="設定すると、この証明書の端末からだけログインできます",
    )
    current_session_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "利用者"
        constraints = [
            # the administrator manages accounts, the auditor reads the log: never one person
            models.CheckConstraint(
                condition=~(models.Q(is_system_admin=True) & models.Q(is_auditor=True)),
                name="admin_is_not_auditor",
                violation_error_message="システム管理者と監査者を同じ利用者に設定することはできません。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.username} ({self.username})"

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        """Whether an authentication backend grants ``perm`` (kokin's own names ``kokin.<action>``:
        :class:`kokin.accounts.backends.PermissionBackend`). Unlike Django's, it does not answer yes to
        every name for a superuser: who may do what in kokin is :mod:`kokin.accounts.permissions` alone."""
        return any(backend.has_perm(self, perm, obj) for backend in get_backends() if hasattr(backend, "has_perm"))

    @property
    def is_hub_wide(self) -> bool:
        """A system administrator or an auditor: never holds a business role (docs/security.md)."""
        return bool(self.is_system_admin or self.is_auditor)

    def clean(self) -> None:
        super().clean()
        check_flags(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        check_flags(self)
        super().save(*args, **kwargs)


FLAGGED_HOLDS_ROLES = "業務の役割を持つ利用者をシステム管理者・監査者にすることはできません。先に役割を外してください。"
ROLE_FOR_FLAGGED = "システム管理者・監査者には業務の役割を付与できません。"
SEPARATION_OF_DUTIES = "同じ業務の「送信」と「承認」を1人に付与することはできません (職務の分離)。"
#: the pairs of roles no one holds together on one business (separation of duties, 職務の分離)
EXCLUSIVE_ROLES = {Role.UPLOAD: Role.APPROVE, Role.APPROVE: Role.UPLOAD}


def check_flags(user: User) -> None:
    """A system administrator or auditor flag on an account that holds business roles is refused."""
    if user.is_hub_wide and user.pk is not None and RoleAssignment.objects.filter(user_id=user.pk).exists():
        raise ValidationError(FLAGGED_HOLDS_ROLES)


def check_role(user: User, business_id: int | None, role: str, *, exclude_pk: int | None = None) -> None:
    """Whether ``user`` may hold ``role`` on the business: not a hub-wide account, and not 送信 with 承認.

    Raises :class:`ValidationError` with the Japanese reason. The database triggers of migration
    ``0005`` refuse the same rows written past this check.
    """
    if user.is_hub_wide:
        raise ValidationError(ROLE_FOR_FLAGGED)
    other = EXCLUSIVE_ROLES.get(Role(role)) if role in Role.values else None
    if other is not None and user.pk is not None and business_id is not None:
        held = RoleAssignment.objects.filter(user_id=user.pk, business_id=business_id, role=other)
        if exclude_pk is not None:
            held = held.exclude(pk=exclude_pk)
        if held.exists():
            raise ValidationError(SEPARATION_OF_DUTIES)


class RoleAssignment(models.Model):
    """A role an operator holds on a business; made only when a grant request is approved
    (:mod:`kokin.accounts.grants`), removed at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name="利用者")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="roles", verbose_name="業務")
    role = models.CharField("役割", max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = verbose_name_plural = "役割"
        constraints = [models.UniqueConstraint(fields=["user", "business", "role"], name="unique_role")]

    def __str__(self) -> str:
        return f"{self.user} {self.business} {self.get_role_display()}"

    def _user_or_none(self) -> User | None:
        try:
            return self.user
        except User.DoesNotExist:
            return None

    def clean(self) -> None:
        super().clean()
        user = self._user_or_none()
        if user is not None and self.role:
            check_role(user, self.business_id, self.role, exclude_pk=self.pk)

    def save(self, *args: Any, **kwargs: Any) -> None:
        check_role(self.user, self.business_id, self.role, exclude_pk=self.pk)
        super().save(*args, **kwargs)


class RoleGrantRequest(models.Model):
    """A request to grant a business role (役割付与の申請), waiting for a second person's decision.

    The system administrator asks; the business's 業務管理 or another system administrator
    approves or refuses; the role exists only once approved. Nobody decides a request for
    themselves or one they made (:mod:`kokin.accounts.grants`).
    """

    class State(models.TextChoices):
        PENDING = "pending", "申請中"
        APPROVED = "approved", "承認済"
        REFUSED = "refused", "却下"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grant_requests", verbose_name="利用者")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+", verbose_name="業務")
    role = models.CharField("役割", max_length=10, choices=Role.choices)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name="申請者")
    requested_at = models.DateTimeField("申請日時", auto_now_add=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="決定者"
    )
    decided_at = models.DateTimeField("決定日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "役割付与の申請"
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "business", "role"],
                condition=models.Q(state="pending"),
                name="one_pending_grant",
                violation_error_message="同じ役割の申請がすでに申請中です。",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("user")) & ~models.Q(decided_by=models.F("requested_by")),
                name="grant_decided_by_another",
                violation_error_message="自分への付与や自分が申請した付与は決定できません。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.business} {self.get_role_display()} ({self.get_state_display()})"

    def clean(self) -> None:
        super().clean()
        user = self.user if self.user_id else None
        if user is not None and self.role and self.state == self.State.PENDING:
            check_role(user, self.business_id, self.role)


class WebAuthnDevice(TimestampMixin, Device):  # type: ignore[misc]  # django-otp has no type hints
    """A WebAuthn security key or passkey (the modern form of the seed's IC card) as a second factor.

    ``created_at`` and ``last_used_at`` come from django-otp's :class:`TimestampMixin`. The device
    is verified by a WebAuthn ceremony (:mod:`kokin.accounts.passkeys`), never by a typed token.
    """

    credential_id = models.CharField("クレデンシャルID (base64url)", max_length=1400, unique=True)
    public_key = models.BinaryField("公開鍵 (COSE)")
    sign_count = models.PositiveBigIntegerField("署名カウンタ", default=0)
    transports = models.JSONField("通信方式", default=list, blank=True)
    aaguid = models.CharField("認証器の種類 (AAGUID)", max_length=36, blank=True)
    backed_up = models.BooleanField("同期されるパスキー", default=False)

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = verbose_name_plural = "セキュリティキー・パスキー"

    def verify_token(self, token: object) -> bool:
        return False


class Terminal(models.Model):
    """An information-processing device (情報処理機器) that handles the ward's data: the equipment
    register of 別紙3 第6条1, which the ward is told of before use and on every change.

    A terminal is known by its address (one IP address or a CIDR range), by the SHA-256 fingerprint of
    its client certificate, or both; with ``KOKIN_TERMINAL_REGISTER=on`` a login must come from a
    registered terminal that is not retired (:mod:`kokin.accounts.terminals`). A terminal is retired,
    never deleted, so the register's history keeps it.
    """

    class Kind(models.TextChoices):
        TERMINAL = "terminal", "端末"
        SERVER = "server", "サーバ"

    name = models.CharField("機器名", max_length=100)
    kind = models.CharField("種別", max_length=10, choices=Kind.choices, default=Kind.TERMINAL)
    place = models.CharField("設置場所", max_length=200)
    address = models.CharField(
        "IP アドレス・範囲 (CIDR)",
        max_length=49,
        blank=True,
        validators=[validate_terminal_address],
        help_text="例: 10.1.2.3 または 10.1.2.0/24",
    )
    cert_fingerprint = models.CharField(
        "クライアント証明書 SHA-256 指紋",
        max_length=95,
        blank=True,
        validators=[validate_fingerprint],
        help_text="16 進数 64 桁 (コロン区切りも可)。IP アドレスか指紋の少なくとも一方が必要です",
    )
    owner = models.CharField("管理者", max_length=100, blank=True, help_text="空欄のときは管理する課が管理者です")
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="terminals",
        verbose_name="管理する課",
    )
    registered_at = models.DateTimeField("登録日時", default=timezone.now)
    retired_at = models.DateTimeField("廃止日時", null=True, blank=True, help_text="廃止した機器は台帳から外れます")

    class Meta:
        verbose_name = verbose_name_plural = "情報処理機器 (台帳)"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(address="", cert_fingerprint=""),
                name="terminal_address_or_fingerprint",
                violation_error_message="IP アドレスかクライアント証明書の指紋の少なくとも一方を入力してください。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.place})"

    @property
    def keeper(self) -> str:
        """The register's 管理者 column: the person named, else the department."""
        return self.owner or (self.department.name if self.department is not None else "")

    def clean(self) -> None:
        super().clean()
        self.address = self.address.strip()
        self.cert_fingerprint = normalise_fingerprint(self.cert_fingerprint)
        errors: dict[str, str] = {}
        if not self.address and not self.cert_fingerprint:
            message = "IP アドレスかクライアント証明書の指紋の少なくとも一方を入力してください。"
            errors["address"] = errors["cert_fingerprint"] = message
        if not self.owner.strip() and self.department_id is None:
            errors["owner"] = "管理者 (氏名) か管理する課のどちらかを入力してください。"
        if self.retired_at is not None and self.registered_at is not None and self.retired_at < self.registered_at:
            errors["retired_at"] = "廃止日時が登録日時より前です。"
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.address = self.address.strip()
        self.cert_fingerprint = normalise_fingerprint(self.cert_fingerprint)
        super().save(*args, **kwargs)
