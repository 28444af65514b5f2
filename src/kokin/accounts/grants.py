"""Granting business roles in two steps (役割付与の申請と承認): nobody grants access to data alone.

The system administrator asks for a role (:func:`request_grant`, from ``/manage/``); the role exists
only once a second person approves (:func:`decide`): the business's 業務管理 or another system
administrator. Nobody decides a request for themselves or one they made; the request and the
decision are both written to the operation log. Removing a role narrows access and takes effect at
once (the operation log records it as a ``role_change``). Separation of duties (送信 and 承認 never together on one
business) is checked at the request, again at the approval, and by the model and the database.
Both entries are written in the actor's roles on the business (:func:`kokin.accounts.actors.role_on`):
業務管理 for a business's manager, システム管理者 for a system administrator.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kokin.accounts.actors import role_on
from kokin.accounts.models import (
    EXCLUSIVE_ROLES,
    SEPARATION_OF_DUTIES,
    Business,
    Role,
    RoleAssignment,
    RoleGrantRequest,
    User,
    check_role,
)
from kokin.accounts.permissions import Action, businesses_for
from kokin.audit.actor import Actor
from kokin.audit.services import record

State = RoleGrantRequest.State
ALREADY_HELD = "この利用者はこの業務でこの役割をすでに持っています。"
ALREADY_PENDING = "同じ役割の申請がすでに申請中です。"
NOT_AN_APPROVER = "この申請を決定できるのは、この業務の業務管理者か、申請者以外のシステム管理者です。"
OWN_GRANT = "自分への役割の付与は決定できません。"
OWN_REQUEST = "自分が申請した役割の付与は決定できません。別の人が決定します。"
DECIDED = "この申請はすでに決定済みです。"


def _object(user: User) -> str:
    return f"user:{user.username}"


def check_grant(user: User, business: Business, role: str, *, also: list[tuple[int, str]] | None = None) -> None:
    """Whether ``role`` on ``business`` may be asked for ``user`` (:class:`ValidationError` if not).

    ``also`` lists (business id, role) pairs asked for in the same form, checked against each other.
    """
    check_role(user, business.pk, role)
    if user.pk is None:
        held: set[tuple[int, str]] = set()
        pending: set[tuple[int, str]] = set()
    else:
        held = set(RoleAssignment.objects.filter(user=user).values_list("business_id", "role"))
        pending = set(
            RoleGrantRequest.objects.filter(user=user, state=State.PENDING).values_list("business_id", "role")
        )
    if (business.pk, role) in held:
        raise ValidationError(ALREADY_HELD)
    if (business.pk, role) in pending:
        raise ValidationError(ALREADY_PENDING)
    other = EXCLUSIVE_ROLES.get(Role(role))
    if other is not None and (business.pk, other) in pending | set(also or []):
        raise ValidationError(SEPARATION_OF_DUTIES)


@transaction.atomic
def request_grant(*, actor: Actor, user: User, business: Business, role: str) -> RoleGrantRequest:
    """Ask for ``role`` on ``business`` for ``user``; nothing is granted until approved."""
    requester: User = actor.user
    User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per user
    check_grant(user, business, role)
    grant = RoleGrantRequest.objects.create(user=user, business=business, role=role, requested_by=requester)
    record(
        action="role_grant_request",
        actor=actor,
        role=role_on(actor, business),
        object=_object(user),
        detail={"request": grant.pk, "business": business.code, "role": role},
    )
    return grant


def may_decide(approver: User, grant: RoleGrantRequest) -> str:
    """Why ``approver`` may not decide ``grant`` ("" if they may)."""
    if approver.pk == grant.user_id:
        return OWN_GRANT
    if approver.pk == grant.requested_by_id:
        return OWN_REQUEST
    if approver.is_system_admin:
        return ""
    if businesses_for(approver, Action.MANAGE_OPERATORS).filter(pk=grant.business_id).exists():
        return ""
    return NOT_AN_APPROVER


def pending_for(approver: User) -> QuerySet[RoleGrantRequest]:
    """The pending requests ``approver`` may decide (not their own, not those they made)."""
    pending = RoleGrantRequest.objects.filter(state=State.PENDING).exclude(user=approver).exclude(requested_by=approver)
    if not approver.is_system_admin:
        pending = pending.filter(business__in=businesses_for(approver, Action.MANAGE_OPERATORS))
    return pending.select_related("user", "business__department", "requested_by")


def requested_by(requester: User) -> QuerySet[RoleGrantRequest]:
    """The requests ``requester`` made that still wait for someone else's decision."""
    pending = RoleGrantRequest.objects.filter(state=State.PENDING, requested_by=requester)
    return pending.select_related("user", "business__department")


def decide(*, actor: Actor, grant_id: int, approve: bool) -> RoleGrantRequest:
    """Approve (the role is created) or refuse a pending request; both are logged, as is a refusal
    to let the caller decide (:class:`PermissionDenied`) or a role the rules no longer allow
    (:class:`ValidationError`)."""
    try:
        return _decide(actor=actor, grant_id=grant_id, approve=approve)
    except (PermissionDenied, ValidationError) as exc:
        grant = RoleGrantRequest.objects.select_related("user", "business").filter(pk=grant_id).first()
        record(
            action="role_grant_decide",
            actor=actor,
            role=role_on(actor, grant.business if grant else None),
            object=_object(grant.user) if grant else f"grant:{grant_id}",
            outcome="denied",
            detail={
                "request": grant_id,
                "decision": "approve" if approve else "refuse",
                "reason": " ".join(getattr(exc, "messages", [str(exc)])),
                **({"business": grant.business.code, "role": grant.role} if grant else {}),
            },
        )
        raise


@transaction.atomic
def _decide(*, actor: Actor, grant_id: int, approve: bool) -> RoleGrantRequest:
    approver: User = actor.user
    grant = RoleGrantRequest.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None:
        raise PermissionDenied(NOT_AN_APPROVER)
    reason = may_decide(approver, grant)
    if reason:
        raise PermissionDenied(reason)
    if grant.state != State.PENDING:
        raise ValidationError(DECIDED)
    if approve:
        User.objects.select_for_update().filter(pk=grant.user_id).first()
        grant.user.refresh_from_db()
        check_role(grant.user, grant.business_id, grant.role)  # the rules again: roles may have changed
        RoleAssignment.objects.get_or_create(user=grant.user, business=grant.business, role=grant.role)
    grant.state = State.APPROVED if approve else State.REFUSED
    grant.decided_by = approver
    grant.decided_at = timezone.now()
    grant.save(update_fields=["state", "decided_by", "decided_at"])
    record(
        action="role_grant_decide",
        actor=actor,
        role=role_on(actor, grant.business),
        object=_object(grant.user),
        detail={
            "request": grant.pk,
            "decision": "approve" if approve else "refuse",
            "business": grant.business.code,
            "role": grant.role,
            "requested_by": grant.requested_by.username,
        },
    )
    return grant
