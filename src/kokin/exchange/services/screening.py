"""What the malware scan found on a received file, however it arrived (:mod:`kokin.exchange.malware`):
scanned while it arrived (the intake, or a bank upload in one piece), or now, from its plaintext on disk
or its encrypted blob. With scanning on, a file that has no clean verdict is never placed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone

from kokin.accounts.actors import role_on
from kokin.audit.actor import Actor
from kokin.audit.models import AuditEntry
from kokin.audit.services import record
from kokin.exchange import malware
from kokin.exchange.models import ExchangeFile
from kokin.exchange.services._common import Received, changing, move
from kokin.exchange.services.keeping import keep
from kokin.exchange.states import State
from kokin.incidents.models import Severity
from kokin.incidents.services import raise_incident

if TYPE_CHECKING:
    from kokin.exchange.services.receiving import Outcome
from kokin.scanning.clamd import NotScanned, ScanOutcome
from kokin.vault import services as vault
from kokin.vault.models import Blob


def scanned(received: Received, blob: Blob | None) -> ScanOutcome | None:
    """The scan's outcome for ``received`` (``blob``: its body already in the vault), or None when
    scanning is off."""
    if not malware.enabled():
        return None
    if received.taken is not None and received.taken.scanned is not None:
        return received.taken.scanned
    if received.scanned is not None:
        return received.scanned
    if received.path is not None:
        return malware.scan_path(received.path)
    if blob is not None:
        with vault.open_blob(blob) as reader:
            return malware.scan(reader)
    return ScanOutcome(verdict=None, failure=NotScanned("reply", "検査する本体がありません", "no body to scan"))


def quarantine(
    received: Received,
    *,
    blob: Blob | None,
    new_file: Callable[..., ExchangeFile],
    log: Callable[[ExchangeFile], AuditEntry],
    at: dt.datetime,
    actor: Actor,
) -> ExchangeFile:
    """Keep a file malware was found in, as ``quarantined`` (encrypted, never handed out), with its log
    entry (``log``), and open the incident whose evidence they are."""
    entries: list[AuditEntry] = []
    file = keep(
        received,
        blob=blob,
        new_file=lambda kept: new_file(kept, at=at, quarantined=True),
        log=lambda kept: entries.append(log(kept)),
    )
    open_incident(file, file.summary.get("malware", ""), actor=actor, evidence=entries)
    return file


def open_incident(file: ExchangeFile, signature: str, *, actor: Actor, evidence: list[AuditEntry]) -> None:
    """A malware finding is an incident (別紙3 第15条): opened at once, shown to the administrator and
    the auditor and mailed to them; the quarantined file and the log entry are its evidence."""
    kind = file.data_kind
    raise_incident(
        rule="malware",
        severity=Severity.HIGH,
        subject=f"file:{file.id}",
        title=f"ウイルス検出: {signature}",
        summary=(
            f"{kind.business.name} の「{kind.label}」に {actor.name} が送ったファイル「{file.original_name}」"
            f"(SHA-256 {file.sha256}) からウイルス「{signature}」が検出され、隔離しました (取得不可)。"
        ),
        evidence=[e.seq for e in evidence],
        personal_data=True,
        businesses=[kind.business.code],
        files=[{"id": str(file.id), "data_kind": kind.label, "records": file.total_count}],
        actor=Actor.system(),
    )


#: files that wait for someone and are rescanned after a signature update: for a department, for an
#: approver, for the bank
WAITING = (State.AVAILABLE, State.AWAITING_APPROVAL, State.APPROVED)


def rescan(*, actor: Actor) -> tuple[int, list[ExchangeFile], list[ExchangeFile]]:
    """Scan every waiting file again (after a signature update): how many were scanned, those found
    now (quarantined, an incident each) and those that could not be scanned (left as they are, to be
    rescanned; a finding needs a verdict)."""
    found: list[ExchangeFile] = []
    unscanned: list[ExchangeFile] = []
    files = ExchangeFile.objects.filter(state__in=WAITING).select_related("data_kind__business").order_by("received_at")
    count = 0
    for file in files.iterator(chunk_size=200):
        count += 1
        with vault.open_blob(file.blob_id) as reader:
            scan = malware.scan(reader)
        if scan.verdict is None:
            unscanned.append(file)
        elif scan.infected:
            found.append(_quarantine_waiting(file, scan, actor=actor))
    return count, found, unscanned


def _quarantine_waiting(file: ExchangeFile, scan: ScanOutcome, *, actor: Actor) -> ExchangeFile:
    assert scan.verdict is not None
    signature = scan.verdict.signature
    with changing(file, log="exchange_rescan", actor=actor) as locked:
        move(locked, State.QUARANTINED, by=actor.name, at=timezone.now(), was=locked.state, signature=signature)
        locked.summary = {**locked.summary, "malware": signature}
        locked.save()
        entry = record(
            action="exchange_rescan",
            actor=actor,
            role=role_on(actor, locked.data_kind.business),
            object=f"file:{locked.id}",
            sha256=locked.sha256,
            outcome="denied",
            detail={"reason": "malware", **malware.log_detail(scan)},
        )
        open_incident(locked, signature, actor=actor, evidence=[entry])
    return locked


def refusal(outcome: Outcome) -> tuple[str, str] | None:
    """Why the scan kept ``outcome``'s file out, in Japanese and English, or None."""
    if outcome.held is not None:
        return HELD_JA, HELD_EN
    if outcome.quarantined is not None:
        signature = outcome.quarantined.summary.get("malware", "")
        return QUARANTINED_JA.format(signature=signature), QUARANTINED_EN.format(signature=signature)
    return None


HELD_JA = (
    "ウイルス検査ができなかったため、ファイルを受け付けていません (保留)。何も保存していません。"
    "しばらくしてから送り直してください。続く場合はシステム管理者に連絡してください"
)
HELD_EN = (
    "the file could not be scanned for malware, so it was not accepted (held); nothing was kept. "
    "Send it again later; if this goes on, tell the system administrator"
)
QUARANTINED_JA = (
    "ウイルスが検出されたため、ファイルを受け付けていません。ファイルは隔離され (暗号化したまま保管、"
    "取得不可)、システム管理者と監査者に通知されました。検出名: {signature}"
)
QUARANTINED_EN = (
    "malware was found, so the file was not accepted; it is quarantined (kept encrypted, never "
    "downloadable) and the system administrator and auditor were told. Signature: {signature}"
)
