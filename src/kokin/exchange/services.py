"""Operations on exchanged files. Each is keyword-only, runs in one transaction and writes its
operation-log entry (also when it is refused). Permission is asked of
:mod:`kokin.accounts.permissions`; the lifecycle rules of :mod:`kokin.exchange.states`.

* :func:`upload` — an operator sends a file to the bank (outbound mailbox); it waits for approval;
* :func:`place` — a file from the bank arrives in an inbound mailbox (``kokin exchange place``, later
  the bank link); the download operators are told;
* :func:`approve`, :func:`withdraw`, :func:`mark_collected` — four-eyes approval and what follows;
* :func:`record_download`, :func:`inspect` — downloads (counted) and 検収;
* :func:`run_retention`, :func:`erase` — crypto-shredding with a deletion certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mass_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from kokin.accounts.models import Business, DataKind, Role, RoleAssignment, User
from kokin.accounts.permissions import Action, can
from kokin.audit.services import COMMAND_ROLE, hub_role, record
from kokin.exchange import certificates, selectors, states
from kokin.exchange.checks import Checked, check_file, debit_date_of
from kokin.exchange.errors import ExchangeError, Refused
from kokin.exchange.intake import Intake, Taken
from kokin.exchange.models import DeletionCertificate, ExchangeFile, ExchangePolicy
from kokin.exchange.states import State
from kokin.vault import services as vault
from kokin.vault.models import Blob

#: how many warnings are kept on the file row (all are counted)
KEEP_WARNINGS = 100
#: how many downloads the file row lists (all are counted and logged)
KEEP_DOWNLOADS = 50
BANK_ROLE = "金融機関"
#: JSON fields of a file that a list of duplicates does not show
HEAVY_FIELDS = ("summary", "warnings", "history")
DENIED_JA = "この操作の権限がありません"
DENIED_EN = "you are not allowed to do this"


@dataclass(frozen=True)
class Received:
    """A file as it arrived, with its size and SHA-256: on disk (``path``), or taken in while it
    arrived (``taken``: checked and encrypted already, no plaintext on disk, see
    :mod:`kokin.exchange.intake`) — or both (the bank link keeps a plaintext copy for matching)."""

    path: Path | None
    name: str
    size: int
    sha256: str
    taken: Taken | None = None

    @classmethod
    def of(cls, taken: Taken, name: str, path: Path | None = None) -> Received:
        return cls(path=path, name=name, size=taken.size, sha256=taken.sha256, taken=taken)


def intake_for(
    data_kind: DataKind, policy: ExchangePolicy | None = None, *, plaintext: BinaryIO | None = None
) -> Intake:
    """An :class:`Intake` that checks an arriving file as ``data_kind``'s mailbox does, today
    (``plaintext``: a file that also gets every byte)."""
    policy = policy or ExchangePolicy.for_business(data_kind.business)
    return Intake(
        data_kind=data_kind,
        today=timezone.localdate(),
        lead_business_days=policy.lead_business_days,
        plaintext=plaintext,
    )


def upload_intake(business: Business, policy: ExchangePolicy, kind: DataKind | None = None) -> Intake | None:
    """The intake of a file sent to ``business``: checked as ``kind``, or, when a form names its kind only
    after the file, as the first outbound kind — all of them take the debit-request format, and
    :func:`upload` refuses a file checked as a kind of another format. None when there is no outbound kind."""
    kind = kind or selectors.upload_kinds(business).first()
    return intake_for(kind, policy) if kind is not None else None


def received_from_path(path: Path, *, name: str | None = None) -> Received:
    """Size and SHA-256 of a file on disk, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return Received(path=path, name=name or path.name, size=size, sha256=digest.hexdigest())


@dataclass
class Outcome:
    """What :func:`upload` or :func:`place` did: stored the file, or not and why."""

    checked: Checked
    file: ExchangeFile | None = None
    duplicates: list[ExchangeFile] = field(default_factory=list)
    #: confirmations that were needed and not given: "duplicate", "warnings"
    needs: list[str] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.file is not None

    @property
    def rejected(self) -> bool:
        return not self.checked.ok


# --- helpers -------------------------------------------------------------------------------------


def role_on(user: Any, business: Business | None) -> str:
    """The user's roles on ``business`` for the log (閲覧・取得 …), or the hub-wide role."""
    if isinstance(user, User) and business is not None:
        codes = RoleAssignment.objects.filter(user=user, business=business).values_list("role", flat=True)
        labels = "・".join(Role(r).label for r in sorted(codes))
        if labels:
            return labels
    if isinstance(user, User):
        return hub_role(user)
    # a bank system account of the bank link names itself "bank:<name>" (kokin.banklink)
    return BANK_ROLE if str(user).startswith("bank:") else COMMAND_ROLE


def name_of(actor: Any) -> str:
    return str(actor.username) if isinstance(actor, User) else str(actor)


def person(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.display_name or user.username} ({user.username})"


def _require(
    user: User, action: Action, business: Business, *, log: str, obj: str, request: HttpRequest | None
) -> None:
    if can(user, action, business):
        return
    record(
        action=log,
        request=request,
        actor=user,
        role=role_on(user, business),
        object=obj,
        outcome="denied",
        detail={"needs": action.value},
    )
    raise PermissionDenied(f"{DENIED_JA} / {DENIED_EN}")


def _refuse(exc: ExchangeError, *, log: str, user: Any, file: ExchangeFile, request: HttpRequest | None) -> None:
    record(
        action=log,
        request=request,
        actor=user,
        role=role_on(user, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        outcome="denied",
        detail={"reason": exc.message_en, "state": file.state},
    )
    raise exc


def _move(file: ExchangeFile, target: State, *, by: str, at: dt.datetime, **extra: Any) -> None:
    states.check(file.state, target)
    file.state = target
    file.note(target, at, by, **extra)


def _log_file(action: str, file: ExchangeFile, *, actor: Any, request: HttpRequest | None, **extra: Any) -> None:
    """The operation-log entry of an operation on one file: its id, its SHA-256, the actor's role there."""
    record(
        action=action,
        request=request,
        actor=actor,
        role=role_on(actor, file.data_kind.business),
        object=f"file:{file.id}",
        sha256=file.sha256,
        **extra,
    )


def _locked(file: ExchangeFile) -> ExchangeFile:
    return ExchangeFile.objects.select_for_update().get(pk=file.pk)


@contextmanager
def _changing(file: ExchangeFile, *, log: str, user: Any, request: HttpRequest | None) -> Iterator[ExchangeFile]:
    """The file's row, locked for a change in one transaction. A refusal (:class:`ExchangeError`, e.g.
    an illegal transition) rolls the change back, is logged and raised; ``file`` is refreshed either way."""
    try:
        with transaction.atomic():
            yield _locked(file)
    except ExchangeError as exc:
        file.refresh_from_db()
        _refuse(exc, log=log, user=user, file=file, request=request)
    file.refresh_from_db()


def retention(file: ExchangeFile, policy: ExchangePolicy) -> tuple[dt.datetime, str]:
    """When the file is to be erased, and why (Japanese): N days after its job is done (inspected;
    for a file sent to the bank: collected or withdrawn), at the latest M days after receipt."""
    latest = file.received_at + dt.timedelta(days=policy.retention_max_days)
    reason = f"受信後の最長保存期間 ({policy.retention_max_days} 日) の経過"
    done = {
        State.INSPECTED: (file.inspected_at, "検収"),
        State.COLLECTED: (file.collected_at, "金融機関の取得"),
        State.WITHDRAWN: (file.withdrawn_at, "取下げ"),
    }.get(State(file.state))
    if done is not None and done[0] is not None:
        after = done[0] + dt.timedelta(days=policy.retention_days_after_inspection)
        if after < latest:
            return after, f"{done[1]}後の保存期間 ({policy.retention_days_after_inspection} 日) の経過"
    return latest, reason


def _set_due(file: ExchangeFile) -> None:
    file.retention_due = retention(file, ExchangePolicy.for_business(file.data_kind.business))[0]


# --- receiving -----------------------------------------------------------------------------------


def duplicates(*, data_kind: DataKind, sha256: str, checked: Checked, today: dt.date) -> list[ExchangeFile]:
    """Earlier files of the business still kept: the same bytes, or (debit files) the same consignor,
    debit date, count and total."""
    live = (
        ExchangeFile.objects.filter(data_kind__business=data_kind.business)
        .exclude(state=State.ERASED)
        .defer(*HEAVY_FIELDS)  # a large file's summary alone is tens of kilobytes of JSON
    )
    found = list(live.filter(sha256=sha256).select_related("data_kind")[:5])
    debit = debit_date_of(checked, today) if checked.format == "zengin-debit" else None
    consignor = checked.first_batch_value("consignor_code")
    if debit is not None and consignor:
        found += list(
            live.filter(
                direction=data_kind.direction,
                consignor_code=consignor,
                debit_date=debit,
                total_count=checked.summary.get("data_records", 0),
                total_amount=checked.summary.get("total_amount", 0),
            )
            .exclude(sha256=sha256)
            .exclude(state=State.WITHDRAWN)
            .select_related("data_kind")[:5]
        )
    return found


def upload(
    *,
    data_kind: DataKind,
    user: User,
    received: Received,
    confirm_duplicate: bool = False,
    confirm_warnings: bool = False,
    request: HttpRequest | None = None,
) -> Outcome:
    """An operator with 送信 sends a file for the bank; stored only if valid (and confirmed where
    needed), then it waits for a second operator's approval."""
    business = data_kind.business
    obj = f"mailbox:{business.code}/{data_kind.pk}"
    _require(user, Action.UPLOAD_FILE, business, log="exchange_upload", obj=obj, request=request)
    if data_kind.direction != DataKind.Direction.OUTBOUND:
        raise Refused(
            "金融機関から届くデータ種別には送信できません", "files can only be sent to outbound (to the bank) mailboxes"
        )
    return _receive(
        data_kind=data_kind,
        by=user,
        received=received,
        confirm_duplicate=confirm_duplicate,
        confirm_warnings=confirm_warnings,
        log="exchange_upload",
        request=request,
    )


def place(
    *,
    data_kind: DataKind,
    received: Received,
    actor: Any,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
    require_request: bool = False,
    blob: Blob | None = None,
    checked: Checked | None = None,
) -> Outcome:
    """A file from the bank (collection data, debit results) arrives in an inbound mailbox, as the
    bank link delivers it; valid files become available and the download operators are told.

    ``require_request`` (the bank link): a debit result is stored only if it matches a request of the
    business that the bank collected (:mod:`kokin.exchange.matching`); otherwise it is rejected with
    the first record and field that differ.

    ``blob`` (the bank link): the same bytes, already encrypted in the vault while they arrived; a
    stored file keeps that blob instead of encrypting ``received`` again (its size and SHA-256 must be
    ``received``'s). The caller keeps it, and disposes of it, when the file is not stored.

    ``checked`` (the bank link): what checking the file while it arrived found, for ``data_kind``."""
    if data_kind.direction != DataKind.Direction.INBOUND:
        raise Refused("金融機関へ送るデータ種別には配置できません", "files from the bank go to inbound mailboxes only")
    return _receive(
        data_kind=data_kind,
        by=actor,
        received=received,
        confirm_duplicate=allow_duplicate,
        confirm_warnings=True,  # a bank's file is taken as it is; its warnings are shown on the file
        log="exchange_place",
        request=request,
        require_request=require_request,
        blob=blob,
        checked=checked,
    )


def _receive(*, received: Received, **rest: Any) -> Outcome:
    """Check (unless it was checked while it arrived), refuse or keep one received file (the arguments
    of :func:`_check_and_keep`). A body taken in while it arrived (``received.taken``) becomes the file's
    blob, or is removed if not kept — also when anything fails."""
    try:
        return _check_and_keep(received=received, **rest)
    except BaseException:
        if received.taken is not None:
            received.taken.sealed.discard()
        raise


def _check_and_keep(
    *,
    data_kind: DataKind,
    by: Any,
    received: Received,
    confirm_duplicate: bool,
    confirm_warnings: bool,
    log: str,
    request: HttpRequest | None,
    require_request: bool = False,
    blob: Blob | None = None,
    checked: Checked | None = None,
) -> Outcome:
    business = data_kind.business
    taken = received.taken
    if blob is not None and (blob.size != received.size or blob.sha256 != received.sha256):
        raise ValueError(f"blob {blob.id} does not hold the received file (size or SHA-256 differ)")
    if blob is not None and taken is not None:
        raise ValueError("a file arrives with its blob or with a body taken in, not both")
    arrived = timezone.now()
    policy = ExchangePolicy.for_business(business)
    today = timezone.localdate()
    if taken is not None:
        checked = checked or taken.checked
    if checked is not None:
        if (checked.format, checked.data_kind.direction) != (data_kind.format, data_kind.direction):
            raise Refused(
                f"ファイルは「{checked.data_kind.label}」として検査されました。データ種別を先に指定して送り直してください",
                f"the file was checked as {checked.data_kind.label!r}; name the data kind first and send it again",
            )
        checked.data_kind = data_kind
    elif received.path is not None:
        checked = check_file(
            received.path, data_kind=data_kind, today=today, lead_business_days=policy.lead_business_days
        )
    else:
        raise ValueError("a received file needs its path or the body taken in while it arrived")
    if require_request and checked.ok and checked.format == "zengin-debit":
        _match_request(checked, received)
    outcome = Outcome(checked)
    role = role_on(by, business)
    where = f"mailbox:{business.code}/{data_kind.pk}"
    detail: dict[str, Any] = {
        "kind": data_kind.label,
        "name": received.name,
        "size": received.size,
        "errors": checked.report.error_count,
        "warnings": checked.report.warning_count,
    }

    def refused(reason: str, **extra: Any) -> Outcome:
        if taken is not None:
            taken.sealed.discard()
        record(
            action=log,
            request=request,
            actor=by,
            role=role,
            object=where,
            sha256=received.sha256,
            outcome="failure",
            detail={**detail, "reason": reason, **extra},
        )
        return outcome

    if not checked.ok:
        first = [{"record": i.record, "field": i.field, "code": i.code} for i in checked.report.errors[:20]]
        return refused("invalid", detected=checked.detected, first=first)
    outcome.duplicates = duplicates(data_kind=data_kind, sha256=received.sha256, checked=checked, today=today)
    if outcome.duplicates and not confirm_duplicate:
        outcome.needs.append("duplicate")
    if checked.report.warning_count and not confirm_warnings:
        outcome.needs.append("warnings")
    if outcome.needs:
        return refused("confirmation_required", needs=outcome.needs, duplicates=[str(f.id) for f in outcome.duplicates])
    sealed: vault.Sealed | None = taken.sealed if taken is not None else None
    if blob is None and sealed is None:
        assert received.path is not None
        with open(received.path, "rb") as fh:
            sealed = vault.seal(fh, expected_sha256=received.sha256)
    try:
        # the blob's row commits with the file's row: a crash in between leaves only a body with no
        # row, which vault.sweep removes (never a kept blob that no file refers to)
        with transaction.atomic():
            if sealed is not None:
                blob = sealed.save()
            assert blob is not None
            file = _new_file(data_kind=data_kind, by=by, received=received, checked=checked, blob=blob, at=arrived)
            file.save()
            record(
                action=log,
                request=request,
                actor=by,
                role=role,
                object=f"file:{file.id}",
                sha256=file.sha256,
                detail={
                    **detail,
                    "mailbox": where,
                    "state": file.state,
                    "blob": str(blob.id),
                    "confirmed": [
                        n
                        for n, c in (("duplicate", outcome.duplicates), ("warnings", checked.report.warning_count))
                        if c
                    ],
                },
            )
            if file.direction == DataKind.Direction.INBOUND:
                transaction.on_commit(lambda: notify_arrival(file=file), robust=True)
    except BaseException:
        if sealed is not None:
            sealed.discard()
        raise
    outcome.file = file
    return outcome


def _match_request(checked: Checked, received: Received) -> None:
    """A debit result that answers no collected request gets an error naming why (so it is rejected)."""
    from kokin.exchange import matching

    if received.path is None:
        raise ValueError("matching a debit result needs its plaintext on disk (Received.path)")
    found = matching.match_result(
        received.path,
        data_kind=checked.data_kind,
        consignor_code=checked.first_batch_value("consignor_code"),
        debit_mmdd=checked.first_batch_value("debit_date"),
        count=int(checked.summary.get("data_records", 0)),
        amount=int(checked.summary.get("total_amount", 0)),
    )
    if found.ok:
        assert found.request is not None
        checked.summary["request_file"] = str(found.request.id)
    else:
        checked.report.add(found.issue())


def _new_file(
    *, data_kind: DataKind, by: Any, received: Received, checked: Checked, blob: Any, at: dt.datetime
) -> ExchangeFile:
    summary = checked.summary
    who = name_of(by)
    file = ExchangeFile(
        data_kind=data_kind,
        direction=data_kind.direction,
        state=State.RECEIVED,
        original_name=received.name,
        size=received.size,
        sha256=received.sha256,
        blob=blob,
        format=checked.format,
        mode=checked.mode,
        summary=summary,
        error_count=checked.report.error_count,
        warning_count=checked.report.warning_count,
        warnings=[i.as_dict() for i in checked.report.sorted_issues() if i.severity == "warning"][:KEEP_WARNINGS],
        received_by=who,
        uploaded_by=by if isinstance(by, User) else None,
        received_at=at,
        debit_date=debit_date_of(checked, timezone.localdate(at)) if checked.format == "zengin-debit" else None,
        consignor_code=checked.first_batch_value("consignor_code")[:10],
        total_count=int(summary.get("data_records", 0)),
        total_amount=int(summary.get("total_amount", 0)),
    )
    file.note(State.RECEIVED, at, who)
    now = timezone.now()
    _move(file, State.VALIDATED, by="kokin", at=now, errors=0, warnings=checked.report.warning_count)
    outbound = data_kind.direction == DataKind.Direction.OUTBOUND
    _move(file, State.AWAITING_APPROVAL if outbound else State.AVAILABLE, by="kokin", at=now)
    _set_due(file)
    return file


def notify_arrival(*, file: ExchangeFile) -> int:
    """Mail the business's download operators that a file arrived: kind, business, counts and a link —
    no personal data. Returns the number of mails sent."""
    business = file.data_kind.business
    if not ExchangePolicy.for_business(business).notify_by_mail:
        return 0
    users = (
        User.objects.filter(is_active=True, roles__business=business, roles__role=Role.DOWNLOAD)
        .exclude(email="")
        .distinct()
    )
    base = str(getattr(settings, "WEBAUTHN_ORIGIN", "")).rstrip("/")
    link = base + reverse("exchange:detail", args=[file.id])
    subject = f"[kokin] 新しいファイルが届きました: {file.data_kind.label}"
    body = (
        f"{business.department.name} {business.name} に、金融機関から新しいファイルが届きました。\n\n"
        f"データ種別: {file.data_kind.label}\n"
        f"受信日時: {timezone.localtime(file.received_at):%Y-%m-%d %H:%M}\n"
        f"件数: {file.total_count:,} 件 ({file.summary.get('batches', 0)} バッチ)\n\n"
        f"ハブにログインして取得してください: {link}\n\n"
        "このメールには個人情報を含めていません。心当たりのない場合は業務管理者に連絡してください。\n"
    )
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "kokin@localhost")
    messages = [(subject, body, sender, [u.email]) for u in users]
    sent = send_mass_mail(messages, fail_silently=True) if messages else 0
    record(
        action="exchange_notify",
        actor="system",
        role=COMMAND_ROLE,
        object=f"file:{file.id}",
        detail={"recipients": len(messages), "sent": sent},
    )
    return sent


# --- approval ------------------------------------------------------------------------------------


def approve(*, file: ExchangeFile, user: User, request: HttpRequest | None = None) -> ExchangeFile:
    """Four-eyes approval: a different operator with 承認 releases the file to the bank."""
    business = file.data_kind.business
    _require(user, Action.APPROVE_FILE, business, log="exchange_approve", obj=f"file:{file.id}", request=request)
    with _changing(file, log="exchange_approve", user=user, request=request) as locked:
        if locked.uploaded_by_id is not None and locked.uploaded_by_id == user.pk:
            raise Refused(
                "自分が送信したファイルは承認できません。別の承認担当者に承認を依頼してください",
                "the operator who uploaded a file cannot approve it",
            )
        now = timezone.now()
        _move(locked, State.APPROVED, by=user.username, at=now)
        locked.approved_by = user
        locked.approved_at = now
        locked.save()
        _log_file(
            "exchange_approve",
            locked,
            actor=user,
            request=request,
            detail={"uploaded_by": locked.received_by, "records": locked.total_count, "amount": locked.total_amount},
        )
    return file


def withdraw_approval(
    *, file: ExchangeFile, user: User, reason: str = "", request: HttpRequest | None = None
) -> ExchangeFile:
    """承認の取消し: the approver takes back their own approval before the bank collects the file.

    The file waits for approval again (by any approver but its sender), so it still reaches the bank
    only with two people's consent. Only the approval's own author may withdraw it, with a reason;
    another approver asks them, or the sender withdraws the file (取下げ). Collection by the bank and
    the withdrawal lock the same row, so one of them wins and the other is refused.
    """
    business = file.data_kind.business
    log = "approval_withdraw"
    _require(user, Action.APPROVE_FILE, business, log=log, obj=f"file:{file.id}", request=request)
    reason = " ".join(reason.split())[:500]
    with _changing(file, log=log, user=user, request=request) as locked:
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
        if locked.approved_by_id != user.pk:
            raise Refused(
                "ほかの承認担当者の承認は取り消せません。承認した本人に依頼するか、送信担当者が取り下げてください",
                "only the approver who approved the file can withdraw the approval",
            )
        if not reason:
            raise Refused("承認を取り消す理由を入力してください", "a reason is required to withdraw an approval")
        approved_at = locked.approved_at
        _move(locked, State.AWAITING_APPROVAL, by=user.username, at=timezone.now(), reason=reason)
        locked.approved_by = None
        locked.approved_at = None
        locked.save()
        _log_file(
            log,
            locked,
            actor=user,
            request=request,
            detail={"approved_at": approved_at.isoformat() if approved_at else None, "reason": reason},
        )
    return file


def can_withdraw(user: User, business: Business) -> bool:
    """The sender side (送信) withdraws; the approver (承認) sends back instead of approving."""
    return can(user, Action.UPLOAD_FILE, business) or can(user, Action.APPROVE_FILE, business)


def withdraw(*, file: ExchangeFile, user: User, reason: str = "", request: HttpRequest | None = None) -> ExchangeFile:
    """Take a file sent to the bank back before the bank collects it (取下げ, or 差戻し by the approver)."""
    business = file.data_kind.business
    if not can_withdraw(user, business):
        _require(user, Action.UPLOAD_FILE, business, log="exchange_withdraw", obj=f"file:{file.id}", request=request)
    reason = " ".join(reason.split())[:500]
    with _changing(file, log="exchange_withdraw", user=user, request=request) as locked:
        now = timezone.now()
        previous = locked.state
        if previous == State.APPROVED and not can(user, Action.UPLOAD_FILE, business):
            # 差戻し is the approver's answer instead of an approval; an approval is taken back by its
            # author (withdraw_approval), which sends the file back to awaiting approval
            raise Refused(
                "承認済みのファイルは差し戻せません。自分の承認であれば「承認を取り消す」を使ってください",
                "an approved file cannot be sent back; its approver can withdraw the approval",
            )
        _move(locked, State.WITHDRAWN, by=user.username, at=now, reason=reason)
        locked.withdrawn_by = user
        locked.withdrawn_at = now
        locked.withdraw_reason = reason
        _set_due(locked)
        locked.save()
        _log_file("exchange_withdraw", locked, actor=user, request=request, detail={"from": previous, "reason": reason})
    return file


def mark_collected(file: ExchangeFile, by_bank_account: Any, *, request: HttpRequest | None = None) -> ExchangeFile:
    """The bank (its system account, via the bank link) has collected an approved file."""
    who = name_of(by_bank_account)
    with _changing(file, log="exchange_collect", user=by_bank_account, request=request) as locked:
        now = timezone.now()
        _move(locked, State.COLLECTED, by=who, at=now)
        locked.collected_at = now
        locked.collected_by = who[:150]
        _set_due(locked)
        locked.save()
        record(
            action="exchange_collect",
            request=request,
            actor=by_bank_account,
            role=BANK_ROLE,
            object=f"file:{locked.id}",
            sha256=locked.sha256,
            detail={"records": locked.total_count},
        )
    return file


# --- downloads and inspection --------------------------------------------------------------------


def record_download(
    *,
    file: ExchangeFile,
    user: User,
    what: str,
    sha256: str,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> ExchangeFile:
    """Count and log one download (``what``: original, csv, zip) of the bytes with ``sha256``; a new
    inbound file becomes 取得済."""
    business = file.data_kind.business
    _require(user, Action.DOWNLOAD_FILE, business, log="exchange_download", obj=f"file:{file.id}", request=request)
    with _changing(file, log="exchange_download", user=user, request=request) as locked:
        if locked.state == State.ERASED:
            raise Refused("このファイルは消去済みです", "the file has been erased")
        now = timezone.now()
        if locked.state == State.AVAILABLE:
            _move(locked, State.DOWNLOADED, by=user.username, at=now)
        locked.download_count += 1
        locked.first_downloaded_at = locked.first_downloaded_at or now
        locked.last_downloaded_at = now
        entry = {"at": now.isoformat(), "by": user.username, "as": what, "sha256": sha256}
        downloads = [h for h in locked.history if h.get("state") == "download"][-(KEEP_DOWNLOADS - 1) :]
        locked.history = [h for h in locked.history if h.get("state") != "download"] + downloads
        locked.history.append({"state": "download", **entry})
        locked.save()
        record(
            action="exchange_download",
            request=request,
            actor=user,
            role=role_on(user, business),
            object=f"file:{locked.id}",
            sha256=sha256,
            detail={"as": what, "original_sha256": locked.sha256, "count": locked.download_count, **(detail or {})},
        )
    return file


def inspect(*, file: ExchangeFile, user: User, request: HttpRequest | None = None) -> ExchangeFile:
    """検収: an operator with 取得 confirms that the downloaded file was received and imported; the
    retention clock for erasure starts."""
    business = file.data_kind.business
    _require(user, Action.DOWNLOAD_FILE, business, log="exchange_inspect", obj=f"file:{file.id}", request=request)
    with _changing(file, log="exchange_inspect", user=user, request=request) as locked:
        now = timezone.now()
        _move(locked, State.INSPECTED, by=user.username, at=now)
        locked.inspected_by = user
        locked.inspected_at = now
        _set_due(locked)
        locked.save()
        _log_file(
            "exchange_inspect",
            locked,
            actor=user,
            request=request,
            detail={"retention_due": locked.retention_due.isoformat() if locked.retention_due else None},
        )
    return file


# --- retention -----------------------------------------------------------------------------------


@dataclass
class Due:
    """A file whose retention has run out, and (after :func:`run_retention`) its certificate."""

    file: ExchangeFile
    due: dt.datetime
    reason: str
    certificate: DeletionCertificate | None = None
    error: str = ""


def due_files(*, now: dt.datetime | None = None) -> Iterator[Due]:
    """Every kept file whose retention has run out at ``now``, with the reason."""
    now = now or timezone.now()
    policies: dict[int, ExchangePolicy] = {}
    kept = ExchangeFile.objects.filter(state__in=[s.value for s in states.STORED]).select_related(
        "data_kind__business__department"
    )
    for file in kept.order_by("received_at").iterator(chunk_size=500):
        business = file.data_kind.business
        policy = policies.setdefault(business.pk, ExchangePolicy.for_business(business))
        due, reason = retention(file, policy)
        if due <= now:
            yield Due(file, due, reason)


def approver_of(file: ExchangeFile) -> str:
    """Who approved the erasure: the inspector (検収), the approver of a collected file, the operator
    who withdrew it; otherwise the business's retention policy."""
    if file.state == State.INSPECTED and file.inspected_by is not None:
        return f"{person(file.inspected_by)} — 検収者"
    if file.state == State.COLLECTED and file.approved_by is not None:
        return f"{person(file.approved_by)} — 送信の承認者"
    if file.state == State.WITHDRAWN and file.withdrawn_by is not None:
        return f"{person(file.withdrawn_by)} — 取下げ者"
    return "業務の保存方針 (最長保存期間の満了による消去)"


def erase(*, file: ExchangeFile, reason: str, actor: Any, request: HttpRequest | None = None) -> DeletionCertificate:
    """Crypto-shred the file (its data key, then its body) and issue its deletion certificate."""
    now = timezone.now()
    business = file.data_kind.business
    with transaction.atomic():
        locked = _locked(file)
        states.check(locked.state, State.ERASED)
        cert = DeletionCertificate(
            number=f"{timezone.localtime(now):%Y%m%d}-{locked.id.hex[:8].upper()}",
            file=locked,
            business=business,
            file_uid=locked.id,
            kind_label=f"{locked.data_kind.label} ({locked.data_kind.get_direction_display()})",
            business_label=f"{business.department.name} {business.name}",
            original_name=locked.original_name,
            size=locked.size,
            sha256=locked.sha256,
            received_at=locked.received_at,
            inspected_at=locked.inspected_at,
            erased_at=now,
            method=certificates.METHOD,
            reason=reason,
            approved_by=approver_of(locked),
            executed_by=name_of(actor),
            issued_at=now,
        )
        cert.pdf = certificates.render(cert)
        cert.pdf_sha256 = hashlib.sha256(cert.pdf).hexdigest()
        vault.shred(
            locked.blob_id, actor=actor, role=role_on(actor, business), reason=f"exchange file {locked.id}: {reason}"
        )
        _move(locked, State.ERASED, by=name_of(actor), at=now, certificate=cert.number)
        locked.erased_at = now
        locked.retention_due = None
        locked.save()
        cert.save()
        _log_file(
            "exchange_erase",
            locked,
            actor=actor,
            request=request,
            detail={
                "certificate": cert.number,
                "certificate_sha256": cert.pdf_sha256,
                "reason": reason,
                "method": "crypto-shredding",
                "blob": str(locked.blob_id),
            },
        )
    return cert


def run_retention(*, actor: Any, dry_run: bool = False, now: dt.datetime | None = None) -> list[Due]:
    """Erase every file whose retention has run out (``dry_run``: only list them). One file's failure
    is reported on it and does not stop the others."""
    found = list(due_files(now=now))
    if dry_run:
        return found
    for due in found:
        try:
            due.certificate = erase(file=due.file, reason=due.reason, actor=actor)
        except ExchangeError as exc:
            due.error = str(exc)
    return found


def set_policy(*, business: Business, actor: Any, **values: Any) -> ExchangePolicy:
    """Change a business's exchange settings (lead days, retention, upload limit, mail)."""
    with transaction.atomic():
        policy, _ = ExchangePolicy.objects.select_for_update().get_or_create(business=business)
        changed = {k: v for k, v in values.items() if v is not None and getattr(policy, k) != v}
        for key, value in changed.items():
            setattr(policy, key, value)
        policy.full_clean()
        policy.save()
        record(
            action="exchange_policy",
            actor=actor,
            role=role_on(actor, business),
            object=f"business:{business.code}",
            detail={"changed": changed},
        )
    return policy
