"""Four-eyes approval of a file sent to the bank, and what follows: :func:`approve`, its withdrawal by
the approver (:func:`withdraw_approval`), :func:`withdraw` (取下げ, 差戻し) and :func:`mark_collected`."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from kokin.accounts.models import Business, User
from kokin.accounts.permissions import Action, can
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.exchange.errors import Refused
from kokin.exchange.models import ExchangeFile
from kokin.exchange.services._common import changing, log_file, move, require, set_due
from kokin.exchange.services.notify import notify_awaiting_approval
from kokin.exchange.states import State


def _fetched_by_bank(file: ExchangeFile) -> bool:
    """Has the bank link served any byte of ``file`` since it was approved (the download log entry)?"""
    entries = AuditEntry.objects.filter(action="banklink_download", object=f"file:{file.id}")
    if file.approved_at is not None:
        entries = entries.filter(at__gte=file.approved_at)
    return entries.exists()


def approve(*, file: ExchangeFile, actor: Actor) -> ExchangeFile:
    """Four-eyes approval: a different operator with 承認 releases the file to the bank."""
    business = file.data_kind.business
    user = require(actor, Action.APPROVE_FILE, business, log="exchange_approve", obj=f"file:{file.id}")
    with changing(file, log="exchange_approve", actor=actor) as locked:
        if locked.uploaded_by_id is not None and locked.uploaded_by_id == user.pk:
            raise Refused(
                "自分が送信したファイルは承認できません。別の承認担当者に承認を依頼してください",
                "the operator who uploaded a file cannot approve it",
            )
        now = timezone.now()
        move(locked, State.APPROVED, by=user.username, at=now)
        locked.approved_by = user
        locked.approved_at = now
        locked.save()
        log_file(
            "exchange_approve",
            locked,
            actor=actor,
            detail={"uploaded_by": locked.received_by, "records": locked.total_count, "amount": locked.total_amount},
        )
    return file


def withdraw_approval(*, file: ExchangeFile, actor: Actor, reason: str = "") -> ExchangeFile:
    """承認の取消し: the approver takes back their own approval before the bank collects the file.

    The file waits for approval again (by any approver but its sender), so it still reaches the bank
    only with two people's consent; the business's approvers are mailed as for a new file waiting.
    Only the approval's own author may withdraw it, with a reason; another approver asks them, or the
    sender withdraws the file (取下げ). Collection by the bank and
    the withdrawal lock the same row, so one of them wins and the other is refused. Once the bank has
    begun to fetch the file (a ``banklink_download`` entry since the approval) the approval stands too:
    the bank may already hold the bytes, so stopping it is a matter for the bank, not a click here.
    """
    business = file.data_kind.business
    log = "approval_withdraw"
    user = require(actor, Action.APPROVE_FILE, business, log=log, obj=f"file:{file.id}")
    reason = " ".join(reason.split())[:500]
    with changing(file, log=log, actor=actor) as locked:
        if locked.state == State.COLLECTED:
            raise Refused(
                "金融機関が取得済みのため、承認を取り消せません",
                "the bank has collected the file: the approval can no longer be withdrawn",
            )
        if locked.state != State.APPROVED:
            raise Refused(
                f"このファイルは「{locked.state_label}」のため、取り消す承認がありません",
                f"the file is not approved (state {locked.state})",
            )
        if _fetched_by_bank(locked):
            raise Refused(
                "金融機関がファイルの取得を始めているため、承認を取り消せません。金融機関に連絡してください",
                "the bank has begun to fetch the file: the approval can no longer be withdrawn; contact the bank",
            )
        if locked.approved_by_id != user.pk:
            raise Refused(
                "ほかの承認担当者の承認は取り消せません。承認した本人に依頼するか、送信担当者が取り下げてください",
                "only the approver who approved the file can withdraw the approval",
            )
        if not reason:
            raise Refused("承認を取り消す理由を入力してください", "a reason is required to withdraw an approval")
        approved_at = locked.approved_at
        move(locked, State.AWAITING_APPROVAL, by=user.username, at=timezone.now(), reason=reason)
        locked.approved_by = None
        locked.approved_at = None
        locked.save()
        log_file(
            log,
            locked,
            actor=actor,
            detail={"approved_at": approved_at.isoformat() if approved_at else None, "reason": reason},
        )
        # the file waits for approval again: its approvers hear of it as of a new one, once committed
        transaction.on_commit(partial(notify_awaiting_approval, file=locked, again=True), robust=True)
    return file


def can_withdraw(user: User, business: Business) -> bool:
    """The sender side (送信) withdraws; the approver (承認) sends back instead of approving."""
    return can(user, Action.UPLOAD_FILE, business) or can(user, Action.APPROVE_FILE, business)


def withdraw(*, file: ExchangeFile, actor: Actor, reason: str = "") -> ExchangeFile:
    """Take a file sent to the bank back before the bank collects it (取下げ, or 差戻し by the approver)."""
    business = file.data_kind.business
    user = actor.user
    if not (isinstance(user, User) and can_withdraw(user, business)):
        require(actor, Action.UPLOAD_FILE, business, log="exchange_withdraw", obj=f"file:{file.id}")  # refused
    reason = " ".join(reason.split())[:500]
    with changing(file, log="exchange_withdraw", actor=actor) as locked:
        now = timezone.now()
        previous = locked.state
        if previous == State.APPROVED and not can(user, Action.UPLOAD_FILE, business):
            # 差戻し is the approver's answer instead of an approval; an approval is taken back by its
            # author (withdraw_approval), which sends the file back to awaiting approval
            raise Refused(
                "承認済みのファイルは差し戻せません。自分の承認であれば「承認を取り消す」を使ってください",
                "an approved file cannot be sent back; its approver can withdraw the approval",
            )
        move(locked, State.WITHDRAWN, by=user.username, at=now, reason=reason)
        locked.withdrawn_by = user
        locked.withdrawn_at = now
        locked.withdraw_reason = reason
        set_due(locked)
        locked.save()
        log_file("exchange_withdraw", locked, actor=actor, detail={"from": previous, "reason": reason})
    return file


def mark_collected(file: ExchangeFile, *, actor: Actor) -> ExchangeFile:
    """The bank (its system account, via the bank link: ``actor`` in the bank's role) has collected an
    approved file."""
    who = actor.name
    with changing(file, log="exchange_collect", actor=actor) as locked:
        now = timezone.now()
        move(locked, State.COLLECTED, by=who, at=now)
        locked.collected_at = now
        locked.collected_by = who[:150]
        set_due(locked)
        locked.save()
        record(
            action="exchange_collect",
            actor=actor,
            object=f"file:{locked.id}",
            sha256=locked.sha256,
            detail={"records": locked.total_count},
        )
    return file
