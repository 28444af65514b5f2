"""Receiving a file: :func:`upload` — an operator sends a file to the bank (outbound mailbox), where it
waits for approval; :func:`place` — a file from the bank arrives in an inbound mailbox (``kokin exchange
place``, the bank link). Each is checked (or was, while it arrived), compared with the files kept
(:func:`duplicates`), a debit result matched with its request, and kept encrypted in the vault
(:mod:`.keeping`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from django.utils import timezone

from kokin.accounts.actors import role_on
from kokin.accounts.models import Business, DataKind, User
from kokin.accounts.permissions import Action
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.exchange import malware, selectors
from kokin.exchange.checks import Checked, check_file, debit_date_of
from kokin.exchange.errors import Refused
from kokin.exchange.intake import Intake
from kokin.exchange.models import ExchangeFile, ExchangePolicy
from kokin.exchange.services import screening
from kokin.exchange.services._common import Received, move, require, set_due
from kokin.exchange.services.keeping import keep
from kokin.exchange.states import State
from kokin.formats.errors import FormatIssue
from kokin.scanning.clamd import NotScanned
from kokin.vault.models import Blob

#: how many warnings are kept on the file row (all are counted)
KEEP_WARNINGS = 100
#: JSON fields of a file that a list of duplicates does not show
HEAVY_FIELDS = ("summary", "warnings", "history")


def stored_issue(issue: FormatIssue) -> dict[str, object]:
    """An issue as the file row keeps it, with the 項目's Japanese name of the record's own kind."""
    return issue.as_dict() | ({"label": issue.label} if issue.label else {})


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
        scan=malware.new_scan(),
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
    #: the file could not be scanned for malware: held (not kept), to be sent again
    held: NotScanned | None = None
    #: malware was found: the file kept in quarantine (never downloadable)
    quarantined: ExchangeFile | None = None

    @property
    def stored(self) -> bool:
        return self.file is not None

    @property
    def rejected(self) -> bool:
        return not self.checked.ok


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
    actor: Actor,
    received: Received,
    confirm_duplicate: bool = False,
    confirm_warnings: bool = False,
) -> Outcome:
    """An operator with 送信 sends a file for the bank; stored only if valid (and confirmed where
    needed), then it waits for a second operator's approval."""
    business = data_kind.business
    obj = f"mailbox:{business.code}/{data_kind.pk}"
    require(actor, Action.UPLOAD_FILE, business, log="exchange_upload", obj=obj)
    if data_kind.direction != DataKind.Direction.OUTBOUND:
        raise Refused(
            "金融機関から届くデータ種別には送信できません", "files can only be sent to outbound (to the bank) mailboxes"
        )
    return _receive(
        data_kind=data_kind,
        actor=actor,
        received=received,
        confirm_duplicate=confirm_duplicate,
        confirm_warnings=confirm_warnings,
        log="exchange_upload",
    )


def refuse_too_large(*, actor: Actor, business: Business, policy: ExchangePolicy, **detail: Any) -> None:
    """Log an upload refused for its size (``exchange_upload``, failure, reason ``too_large``): it was
    announced, or grew, past the business's limit; nothing was kept."""
    record(
        action="exchange_upload",
        actor=actor,
        role=role_on(actor, business),
        object=f"mailbox:{business.code}",
        outcome="failure",
        detail={"reason": "too_large", "limit_mb": policy.max_upload_mb, **detail},
    )


def place(
    *,
    data_kind: DataKind,
    received: Received,
    actor: Actor,
    allow_duplicate: bool = False,
    require_request: bool = False,
    blob: Blob | None = None,
    checked: Checked | None = None,
) -> Outcome:
    """A file from the bank (collection data, debit results) arrives in an inbound mailbox, as the
    bank link delivers it; valid files become available and the download operators are told.
    ``actor``: the bank's system account (the bank link) or whoever runs ``kokin exchange place``.

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
        actor=actor,
        received=received,
        confirm_duplicate=allow_duplicate,
        confirm_warnings=True,  # a bank's file is taken as it is; its warnings are shown on the file
        log="exchange_place",
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
    actor: Actor,
    received: Received,
    confirm_duplicate: bool,
    confirm_warnings: bool,
    log: str,
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
    today = timezone.localdate()
    checked = _checked(received, data_kind, checked, today=today)
    scan = screening.scanned(received, blob)
    if checked.ok and checked.format == "zengin-debit" and data_kind.direction == DataKind.Direction.INBOUND:
        _match_request(checked, received, required=require_request)
    outcome = Outcome(checked)
    role = role_on(actor, business)
    where = f"mailbox:{business.code}/{data_kind.pk}"
    detail: dict[str, Any] = {
        "kind": data_kind.label,
        "name": received.name,
        "size": received.size,
        "errors": checked.report.error_count,
        "warnings": checked.report.warning_count,
    }

    def entry(obj: str, sha256: str, result: str = "success", **more: Any) -> AuditEntry:
        return record(
            action=log, actor=actor, role=role, object=obj, sha256=sha256, outcome=result, detail=detail | more
        )

    def refused(reason: str, **extra: Any) -> Outcome:
        if taken is not None:
            taken.sealed.discard()
        entry(where, received.sha256, "failure", reason=reason, **extra)
        return outcome

    detail.update(malware.log_detail(scan))
    if scan is not None:
        if scan.failure is not None:
            outcome.held = scan.failure
            return refused("not_scanned")
        if scan.verdict is not None and not scan.verdict.clean:
            checked.summary["malware"] = scan.verdict.signature
            outcome.quarantined = screening.quarantine(
                received,
                blob=blob,
                new_file=partial(_new_file, data_kind=data_kind, actor=actor, received=received, checked=checked),
                log=lambda file: entry(f"file:{file.id}", file.sha256, "denied", reason="malware", mailbox=where),
                at=arrived,
                actor=actor,
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
    confirmed = [n for n, c in (("duplicate", outcome.duplicates), ("warnings", checked.report.warning_count)) if c]

    def kept(file: ExchangeFile) -> None:
        entry(
            f"file:{file.id}", file.sha256, mailbox=where, state=file.state, blob=str(file.blob_id), confirmed=confirmed
        )

    new_file = partial(_new_file, data_kind=data_kind, actor=actor, received=received, checked=checked, at=arrived)
    outcome.file = keep(received, blob=blob, new_file=new_file, log=kept)
    return outcome


def _checked(received: Received, data_kind: DataKind, checked: Checked | None, *, today: dt.date) -> Checked:
    """What checking found, for ``data_kind``: while the file arrived (then it must have been checked as a
    kind of the same format and direction), or now, from the file on disk."""
    if received.taken is not None:
        checked = checked or received.taken.checked
    if checked is not None:
        if (checked.format, checked.data_kind.direction) != (data_kind.format, data_kind.direction):
            raise Refused(
                f"ファイルは「{checked.data_kind.label}」として検査されました。データ種別を先に指定して送り直してください",
                f"the file was checked as {checked.data_kind.label!r}; name the data kind first and send it again",
            )
        checked.data_kind = data_kind
        return checked
    if received.path is None:
        raise ValueError("a received file needs its path or the body taken in while it arrived")
    lead = ExchangePolicy.for_business(data_kind.business).lead_business_days
    return check_file(received.path, data_kind=data_kind, today=today, lead_business_days=lead)


def _match_request(checked: Checked, received: Received, *, required: bool) -> None:
    """Find the collected request a debit result answers: the result takes its debit date from it (the
    year is never guessed from the MMDD). A result that answers none gets an error naming why when a
    request is ``required`` (so it is rejected); otherwise it is kept with its date unknown."""
    from kokin.exchange import matching

    if received.path is None:
        if not required:
            return
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
        date = found.request.debit_date
        if date is not None:
            checked.summary["request_debit_date"] = date.isoformat()
            for batch in checked.summary.get("batch_list", []):
                if str(batch.get("debit_date", "")) == f"{date:%m%d}":
                    batch["debit_date_resolved"] = date.isoformat()
    elif required:
        checked.report.add(found.issue())


def _new_file(
    blob: Blob,
    *,
    data_kind: DataKind,
    actor: Actor,
    received: Received,
    checked: Checked,
    at: dt.datetime,
    quarantined: bool = False,
) -> ExchangeFile:
    summary = checked.summary
    who = actor.name
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
        warnings=[stored_issue(i) for i in checked.report.sorted_issues() if i.severity == "warning"][:KEEP_WARNINGS],
        received_by=who,
        uploaded_by=actor.user if isinstance(actor.user, User) else None,
        received_at=at,
        debit_date=debit_date_of(checked, timezone.localdate(at)) if checked.format == "zengin-debit" else None,
        consignor_code=checked.first_batch_value("consignor_code")[:10],
        total_count=int(summary.get("data_records", 0)),
        total_amount=int(summary.get("total_amount", 0)),
    )
    file.note(State.RECEIVED, at, who)
    now = timezone.now()
    if quarantined:
        move(file, State.QUARANTINED, by="kokin", at=now)
        set_due(file)
        return file
    move(file, State.VALIDATED, by="kokin", at=now, errors=0, warnings=checked.report.warning_count)
    outbound = data_kind.direction == DataKind.Direction.OUTBOUND
    move(file, State.AWAITING_APPROVAL if outbound else State.AVAILABLE, by="kokin", at=now)
    set_due(file)
    return file
