"""The detection rules that watch the operation log: each committed entry
(:data:`kokin.audit.events.entry_recorded`) whose action a rule cares about is handed to it, and the
entry is the incident's evidence. Connected in :meth:`kokin.incidents.apps.IncidentsConfig.ready`.

==================================  ===================================================================
entry                               rule
==================================  ===================================================================
``login_failed``                    login defender: a wrong password (1), an unknown ID (2), refused
                                    unchecked because the ID is locked (3)
``second_factor`` failed            login defender (2)
``second_factor`` succeeded         working hours: the login completed outside the department's hours
``address_lockout``                 login defender (3) on the address
``terminal_denied``                 login defender (3) and the terminal rule (an incident per account
                                    and address)
downloads and exports (succeeded)   a role that rarely does it (:data:`RARE_ACTIONS`)
``audit_verify`` failed             the operation log or its checkpoints do not verify
vault or key entries failed, a      the vault: a body or key that cannot be read or stored
download that broke on the vault
``exchange_erase`` before its due   retention: an erasure before the schedule's date
==================================  ===================================================================

Downloads are counted for the mass-download rule by :func:`kokin.exchange.services.record_download`
itself (it knows the business, data kind and records); a malware finding opens its incident in
:mod:`kokin.exchange.services.screening`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from kokin.accounts.models import User
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.incidents import configured, detection
from kokin.incidents.models import Severity
from kokin.incidents.rules import LoginEvent
from kokin.incidents.services import raise_incident

Handler = Callable[[AuditEntry], None]
HANDLERS: dict[str, list[Handler]] = {}

#: the downloads and exports the rare-role rule looks at
RARE_ACTIONS = ("exchange_download", "audit_export", "vault_export", "incident_report_export")
#: outcomes that mean something went wrong inside the hub (not a refusal)
BROKEN = ("failure", "error")


def on(*actions: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for action in actions:
            HANDLERS.setdefault(action, []).append(handler)
        return handler

    return register


def receive(sender: Any, entry: AuditEntry, **kwargs: Any) -> None:
    """The receiver of :data:`~kokin.audit.events.entry_recorded`."""
    for handler in HANDLERS.get(entry.action, ()):
        handler(entry)


def _account(entry: AuditEntry) -> str:
    return entry.object.removeprefix("user:") if entry.object.startswith("user:") else entry.actor


def _when(entry: AuditEntry) -> str:
    return f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}"


# --- logins --------------------------------------------------------------------------------------


@on("login_failed")
def login_failed(entry: AuditEntry) -> None:
    name = _account(entry)
    if entry.outcome == "denied":
        kind = LoginEvent.REFUSED
    elif name and User.objects.filter(username=name).exists():
        kind = LoginEvent.FAILED_PASSWORD
    else:
        kind = LoginEvent.UNKNOWN_ACCOUNT
    detection.login_event(kind=kind, account=name, address=entry.client_ip, evidence=entry.seq, at=entry.at)


@on("second_factor")
def second_factor(entry: AuditEntry) -> None:
    if entry.outcome == "failure":
        detection.login_event(
            kind=LoginEvent.FAILED_SECOND_FACTOR,
            account=_account(entry),
            address=entry.client_ip,
            evidence=entry.seq,
            at=entry.at,
        )
    elif entry.outcome == "success":
        _working_hours(entry)


@on("address_lockout")
def address_lockout(entry: AuditEntry) -> None:
    detection.login_event(kind=LoginEvent.REFUSED, address=entry.client_ip, evidence=entry.seq, at=entry.at)


@on("terminal_denied")
def terminal_denied(entry: AuditEntry) -> None:
    name = _account(entry)
    detection.login_event(
        kind=LoginEvent.REFUSED, account=name, address=entry.client_ip, evidence=entry.seq, at=entry.at
    )
    if not configured.rules().terminal.enabled:
        return
    where = entry.client_ip or "不明"
    if entry.cert_fingerprint:
        where += f" (証明書 {entry.cert_fingerprint[:16]}…)"
    reason = str((entry.detail or {}).get("reason", ""))
    raise_incident(
        rule="terminal",
        severity=Severity.MEDIUM,
        subject=f"user:{name}@{entry.client_ip}",
        title=f"許可されていない端末からのログイン: {name}",
        summary=(
            f"{_when(entry)}、操作者 {name} が許可されていない端末 (接続元 {where}) からログインしようとし、"
            f"拒否しました{f' (理由: {reason})' if reason else ''}。"
        ),
        evidence=[entry.seq],
        actor=Actor.system(),
    )


def _working_hours(entry: AuditEntry) -> None:
    rule = configured.rules().working_hours
    if not rule.enabled:
        return
    user = User.objects.select_related("department").filter(username=entry.actor).first()
    code = user.department.code if user is not None and user.department is not None else ""
    local = timezone.localtime(entry.at).replace(tzinfo=None)
    reason = rule.outside(local, code)
    if not reason:
        return
    raise_incident(
        rule="working_hours",
        severity=Severity.LOW,
        subject=f"user:{entry.actor}",
        title=f"執務時間外の利用: {entry.actor}",
        summary=(
            f"{_when(entry)}、操作者 {entry.actor} ({entry.department or '課なし'}) が{reason}にログインしました"
            f" (接続元 {entry.client_ip or '不明'})。"
        ),
        evidence=[entry.seq],
        actor=Actor.system(),
    )


# --- downloads and exports -----------------------------------------------------------------------


@on(*RARE_ACTIONS)
def rare_role(entry: AuditEntry) -> None:
    rule = configured.rules().rare_role
    if not rule.enabled or entry.outcome != "success":
        return
    since = entry.at - dt.timedelta(days=rule.baseline_days)
    before = AuditEntry.objects.filter(action=entry.action, outcome="success", at__gte=since, seq__lt=entry.seq)
    total = before.count()
    if total < rule.min_total:
        return  # not yet worth a look (and saves the second count)
    by_role = before.filter(role=entry.role).count()
    if not rule.rare(total=total, by_role=by_role):
        return
    role = entry.role or "役割なし"
    raise_incident(
        rule="rare_role",
        severity=Severity.MEDIUM,
        subject=f"{entry.action}:{entry.role}",
        title=f"普段は行わない役割による取得・出力: {role}",
        summary=(
            f"{_when(entry)}、{entry.actor} が役割「{role}」で「{entry.action}」({entry.object}) を行いました。"
            f"この {rule.baseline_days} 日間にこの操作は {total} 回あり、この役割によるものは {by_role} 回でした。"
        ),
        evidence=[entry.seq],
        personal_data=entry.action in ("exchange_download", "vault_export"),
        actor=Actor.system(),
    )


# --- the hub's own integrity ---------------------------------------------------------------------


@on("audit_verify", "audit_checkpoint", "audit_verify_archive")
def audit_verify(entry: AuditEntry) -> None:
    if entry.outcome not in BROKEN or not configured.rules().audit_verify.enabled:
        return
    detail = entry.detail or {}
    raise_incident(
        rule="audit_verify",
        severity=Severity.HIGH,
        subject="operation log",
        title="操作ログの検証の失敗",
        summary=(
            f"{_when(entry)}、操作ログの検証 ({entry.actor}) で不整合が見つかりました: 連結の切れ目"
            f" {detail.get('breaks', '?')} 件、チェックポイントとの不一致 {detail.get('checkpoint_problems', '?')} 件。"
            "改ざん・消去・巻き戻しのおそれがあります。"
        ),
        evidence=[entry.seq],
        actor=Actor.system(),
    )


@on(
    "vault_store",
    "vault_open",
    "vault_shred",
    "vault_export",
    "keys_rotate",
    "keys_destroy",
    "exchange_download",
    "banklink_download",
)
def vault(entry: AuditEntry) -> None:
    if entry.outcome not in BROKEN or not configured.rules().vault.enabled:
        return
    detail = entry.detail or {}
    if entry.action.endswith("_download") and entry.outcome != "error":
        return  # a refused or cut download is not the vault's fault
    if detail.get("reason") == "sha256_mismatch":
        return  # the sender's body did not match the SHA-256 it announced: bad input, not the vault
    why = detail.get("reason") or detail.get("error") or entry.outcome
    raise_incident(
        rule="vault",
        severity=Severity.HIGH,
        subject=entry.object or entry.action,
        title=f"保管庫・鍵の誤り: {entry.object or entry.action}",
        summary=f"{_when(entry)}、「{entry.action}」({entry.object}) が保管庫・鍵の誤りで失敗しました: {why}。",
        evidence=[entry.seq],
        actor=Actor.system(),
    )


@on("exchange_erase")
def retention(entry: AuditEntry) -> None:
    if not configured.rules().retention.enabled:
        return
    detail = entry.detail or {}
    due_text = detail.get("due")
    if not due_text or detail.get("scheduled"):
        return
    due = dt.datetime.fromisoformat(str(due_text))
    if entry.at >= due:
        return
    raise_incident(
        rule="retention",
        severity=Severity.MEDIUM,
        subject=entry.object,
        title=f"保存期間によらない消去: {entry.object}",
        summary=(
            f"{_when(entry)}、{entry.actor} が {entry.object} を消去しました。保存期間による消去予定は"
            f" {timezone.localtime(due):%Y-%m-%d %H:%M} で、それより前の消去です"
            f" (消去証明書 {detail.get('certificate', '—')})。"
        ),
        evidence=[entry.seq],
        actor=Actor.system(),
    )
