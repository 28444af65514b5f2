"""Who may do what: the one place where permission is decided (role × action).

Business roles grant actions on that business only. The system administrator manages accounts and
cannot read or download any file; the auditor reads the operation log (and both see the incidents and
make the compliance reports, which hold no payer's data, and read the registers, whose versions the
administrator signs off). An account flagged system administrator or auditor gets no business action
even if a role row exists for it (the model and the database refuse such rows; this is the last of
three locks). A role takes effect only once a
second person approved its grant request (:mod:`kokin.accounts.grants`): the business's 業務管理 or
another system administrator (:data:`Action.APPROVE_GRANTS`). ``docs/security.md``
publishes :data:`ROLE_ACTIONS` and the role × endpoint test is generated from it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from kokin.accounts.actors import HUB_ROLES
from kokin.accounts.models import Business, Role, RoleAssignment

if TYPE_CHECKING:
    from kokin.accounts.models import User


class Action(StrEnum):
    VIEW_FILES = "view_files"  # lists, details and summaries of a business's files
    DOWNLOAD_FILE = "download_file"
    UPLOAD_FILE = "upload_file"
    APPROVE_FILE = "approve_file"
    MANAGE_OPERATORS = "manage_operators"  # the business's operators and their roles
    ADMIN_ACCOUNTS = "admin_accounts"  # departments, businesses, accounts, factor resets
    READ_AUDIT = "read_audit"  # the operation log
    APPROVE_GRANTS = "approve_grants"  # decide grant requests: 業務管理 of that business, or a system admin
    VIEW_INCIDENTS = "view_incidents"  # incidents and their report drafts (別紙3 第15条)
    HANDLE_INCIDENTS = "handle_incidents"  # move an incident on, write its notes and report draft
    COMPLIANCE_REPORTS = "compliance_reports"  # make and read the compliance reports (別紙3 第16条)
    VIEW_REGISTERS = "view_registers"  # the operator roster and the equipment register (別紙3 第4条, 第6条)
    SIGN_OFF_REGISTERS = "sign_off_registers"  # confirm a version of them as the one reported to the ward
    VIEW_TRAINING = "view_training"  # training records and acknowledgements, the 研修実施報告 (別紙3 第9条)
    RECORD_TRAINING = "record_training"  # record completed training


ACTION_LABELS = {
    Action.VIEW_FILES: "ファイル一覧・明細の閲覧",
    Action.DOWNLOAD_FILE: "ファイルの取得 (ダウンロード)",
    Action.UPLOAD_FILE: "ファイルの送信 (アップロード)",
    Action.APPROVE_FILE: "送信ファイルの承認",
    Action.MANAGE_OPERATORS: "業務の操作担当者の管理",
    Action.ADMIN_ACCOUNTS: "課・業務・利用者の管理、認証要素のリセット",
    Action.READ_AUDIT: "操作ログの閲覧・出力",
    Action.APPROVE_GRANTS: "役割付与の申請の承認・却下 (自分への付与・自分の申請は不可)",
    Action.VIEW_INCIDENTS: "インシデントと漏えい等報告の案の閲覧",
    Action.HANDLE_INCIDENTS: "インシデントの状態の変更・経過の記入・漏えい等報告の案の編集",
    Action.COMPLIANCE_REPORTS: "遵守状況の報告 (別紙3 第16条) の作成・取得",
    Action.VIEW_REGISTERS: "従事者名簿・情報処理機器届出台帳の閲覧・出力",
    Action.SIGN_OFF_REGISTERS: "従事者名簿・情報処理機器届出台帳の版の確認 (承認)",
    Action.VIEW_TRAINING: "研修の記録・取扱規程の確認状況・研修実施報告の閲覧",
    Action.RECORD_TRAINING: "研修の受講の記録",
}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEW: frozenset({Action.VIEW_FILES}),
    Role.DOWNLOAD: frozenset({Action.VIEW_FILES, Action.DOWNLOAD_FILE}),
    Role.UPLOAD: frozenset({Action.VIEW_FILES, Action.UPLOAD_FILE}),
    Role.APPROVE: frozenset({Action.VIEW_FILES, Action.APPROVE_FILE}),
    Role.MANAGE: frozenset({Action.MANAGE_OPERATORS, Action.APPROVE_GRANTS}),
    "system_admin": frozenset(
        {
            Action.ADMIN_ACCOUNTS,
            Action.APPROVE_GRANTS,
            Action.VIEW_INCIDENTS,
            Action.HANDLE_INCIDENTS,
            Action.COMPLIANCE_REPORTS,
            Action.VIEW_REGISTERS,
            Action.SIGN_OFF_REGISTERS,
            Action.VIEW_TRAINING,
            Action.RECORD_TRAINING,
        }
    ),
    "auditor": frozenset(
        {
            Action.READ_AUDIT,
            Action.VIEW_INCIDENTS,
            Action.COMPLIANCE_REPORTS,
            Action.VIEW_REGISTERS,
            Action.VIEW_TRAINING,
        }
    ),
}
BUSINESS_ACTIONS = frozenset(
    {Action.VIEW_FILES, Action.DOWNLOAD_FILE, Action.UPLOAD_FILE, Action.APPROVE_FILE, Action.MANAGE_OPERATORS}
)


def roles_granting(action: Action) -> list[str]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions and role in Role.values]


def can(user: User, action: Action, business: Business | None = None) -> bool:
    """May ``user`` do ``action`` (on ``business`` for business actions)?"""
    if not user.is_authenticated or not user.is_active:
        return False
    if action == Action.APPROVE_GRANTS:
        if user.is_system_admin:
            return True
        return can(user, Action.MANAGE_OPERATORS, business)
    if action in BUSINESS_ACTIONS:
        if user.is_system_admin or user.is_auditor:
            return False
        if business is None:
            return businesses_for(user, action).exists()
        return RoleAssignment.objects.filter(user=user, business=business, role__in=roles_granting(action)).exists()
    if action == Action.ADMIN_ACCOUNTS:
        return bool(user.is_system_admin)
    if action == Action.READ_AUDIT:
        return bool(user.is_auditor)
    if action == Action.VIEW_INCIDENTS:
        return bool(user.is_system_admin or user.is_auditor)
    if action == Action.HANDLE_INCIDENTS:
        return bool(user.is_system_admin)
    if action == Action.COMPLIANCE_REPORTS:
        return bool(user.is_system_admin or user.is_auditor)
    if action == Action.VIEW_REGISTERS:
        return bool(user.is_system_admin or user.is_auditor)
    if action == Action.SIGN_OFF_REGISTERS:
        return bool(user.is_system_admin)
    if action == Action.VIEW_TRAINING:
        return bool(user.is_system_admin or user.is_auditor)
    if action == Action.RECORD_TRAINING:
        return bool(user.is_system_admin)
    return False


def businesses_for(user: User, action: Action) -> QuerySet[Business]:
    """The businesses where ``user`` may do ``action``."""
    if not user.is_authenticated or action not in BUSINESS_ACTIONS or user.is_system_admin or user.is_auditor:
        return Business.objects.none()
    return (
        Business.objects.filter(roles__user=user, roles__role__in=roles_granting(action))
        .distinct()
        .select_related("department")
    )


def markdown_table() -> str:
    """The role × action table of ``docs/security.md``, made from :data:`ROLE_ACTIONS`."""
    hub_roles = dict(HUB_ROLES)

    def heading(role: str) -> str:  # the role's word as the log writes it, then its code: 業務管理 manage
        label = Role(role).label if role in Role.values else hub_roles[f"is_{role}"]
        return f"{label} {role.replace('_', ' ')}"

    roles = list(ROLE_ACTIONS)
    lines = [
        "| 操作 / action | " + " | ".join(heading(r) for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action in Action:
        marks = " | ".join("✓" if action in ROLE_ACTIONS[r] else "—" for r in roles)
        lines.append(f"| {ACTION_LABELS[action]} (`{action.value}`) | {marks} |")
    return "\n".join(lines) + "\n"
