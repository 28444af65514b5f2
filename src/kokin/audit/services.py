"""Writing to the operation log (操作ログ): one call, :func:`record`, for every operation in the hub.

Each entry's MAC is HMAC-SHA256 (keyed with the server's audit key) over its canonical content and
the previous entry's MAC, so an edited, deleted, inserted or reordered entry breaks the chain at that
point (:func:`verify`). Entries are written inside a transaction that holds the chain's lock, so
concurrent writers still produce one unbroken sequence. The newest entries are anchored outside the
database by signed checkpoints (:mod:`kokin.audit.checkpoints`), written after the commit.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from kokin.audit import checkpoints, events
from kokin.audit.actor import Actor
from kokin.audit.models import AuditArchive, AuditEntry

GENESIS = "0" * 64
#: the PostgreSQL advisory lock that serialises writers of the chain (any fixed 64-bit number)
CHAIN_LOCK = 0x6B6F6B696E_0A0D17

OUTCOMES = ("success", "failure", "denied", "error")


def canonical(entry: AuditEntry) -> bytes:
    """The bytes the MAC covers: every recorded field, in a fixed order and form."""
    fields = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "role": entry.role,
        "department": entry.department,
        "client_ip": entry.client_ip,
        "cert_fingerprint": entry.cert_fingerprint,
        "action": entry.action,
        "object": entry.object,
        "sha256": entry.sha256,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def compute_mac(entry: AuditEntry, prev_mac: str) -> str:
    return hmac.new(settings.AUDIT_KEY, prev_mac.encode("ascii") + canonical(entry), hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    """Hold the chain until this transaction ends, so the head read next stays the head.

    On PostgreSQL an advisory lock: ``SELECT ... FOR UPDATE`` on the newest row is not enough, since
    a writer that waited on it gets that row back after the other commits, no longer the newest,
    and an empty log has no row to lock. SQLite opens every transaction ``IMMEDIATE`` (settings),
    which takes the database's write lock before the head is read.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def record(
    *,
    action: str,
    actor: Actor,
    role: str | None = None,
    object: str = "",  # the operation log's own word for the target
    sha256: str = "",
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the operation log (who, when, from where, what, on what, the file's hash).

    ``role`` replaces the actor's own (the actor's roles on the business acted on). ``outcome`` is one
    of :data:`OUTCOMES`.
    """
    who = {
        "actor": actor.name[:150],
        "role": (actor.role if role is None else role)[:100],
        "department": actor.department,
        "client_ip": actor.client_ip[:45],
        "cert_fingerprint": actor.cert_fingerprint[:95],
    }
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-seq").only("seq", "mac").first()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            at=timezone.now(),
            action=action,
            object=object[:255],
            sha256=sha256,
            outcome=outcome,
            detail=detail or {},
            prev_mac=last.mac if last else GENESIS,
            **who,
        )
        entry.mac = compute_mac(entry, entry.prev_mac)
        entry.save()
        # anchored outside the database once committed; a failure to write the checkpoint is logged,
        # never turned into a failure of the operation that is already done
        transaction.on_commit(functools.partial(checkpoints.after_commit, entry), robust=True)
        transaction.on_commit(functools.partial(events.announce, entry))
    return entry


def mark_recorded(request: HttpRequest) -> None:
    """Tell the page-view log (:class:`kokin.accounts.middleware.PageViewLogMiddleware`) that this
    request wrote its own entry."""
    request.kokin_audit_recorded = True  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Break:
    """Where the chain breaks and why (Japanese and English)."""

    seq: int
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.message_en} / 連番 {self.seq}: {self.message_ja}"


def verify(
    entries: Iterable[AuditEntry] | None = None, *, start_seq: int = 1, start_mac: str = GENESIS
) -> Iterator[Break]:
    """Yield every break in the chain: edited, deleted, inserted or reordered entries.

    The chain starts at entry ``start_seq`` chained to ``start_mac``: the genesis, or where the archived
    entries end (:class:`~kokin.audit.models.AuditArchive`, an archive file's first entry)."""
    rows = entries if entries is not None else AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)
    prev_mac = start_mac
    expected_seq = start_seq
    for entry in rows:
        if entry.seq != expected_seq:
            if entry.seq == expected_seq + 1:
                yield Break(
                    entry.seq,
                    f"直前の連番 {expected_seq} が欠落しています (削除の疑い)",
                    f"entry {expected_seq} before it is missing (deleted?)",
                )
            elif entry.seq > expected_seq:
                yield Break(
                    entry.seq,
                    f"直前の連番 {expected_seq}～{entry.seq - 1} が欠落しています (削除の疑い)",
                    f"entries {expected_seq}-{entry.seq - 1} before it are missing (deleted?)",
                )
            else:
                yield Break(
                    entry.seq,
                    "連番が重複または逆順です (挿入・並べ替えの疑い)",
                    "sequence number repeated or out of order (inserted or reordered?)",
                )
        if entry.prev_mac != prev_mac:
            yield Break(
                entry.seq,
                "直前の記録との連結が一致しません (削除・挿入・並べ替えの疑い)",
                "does not chain to the entry before it (deleted, inserted or reordered?)",
            )
        if not hmac.compare_digest(entry.mac, compute_mac(entry, entry.prev_mac)):
            yield Break(
                entry.seq,
                "内容が記録時から変更されています (改ざんの疑い)",
                "its content changed after it was written (edited?)",
            )
        prev_mac = entry.mac
        expected_seq = entry.seq + 1


@dataclass
class Verification:
    """The result of checking the whole log: how many entries, the head, and the breaks found."""

    count: int = 0
    head_seq: int = 0
    head_mac: str = GENESIS
    #: the first entry the database should hold: 1, or the one after the newest archive
    start_seq: int = 1
    breaks: list[Break] = field(default_factory=list)
    #: all the breaks found, also those past the ones kept in :attr:`breaks`
    break_count: int = 0

    @property
    def ok(self) -> bool:
        return self.break_count == 0


def check(*, keep: int = 1000) -> Verification:
    """Verify the whole log in one read-only pass; keeps the first ``keep`` breaks (all are counted).

    The entries moved to archive files are checked there (``kokin audit verify-archive``); the database's
    chain starts where the newest archive ends."""
    newest = AuditArchive.objects.order_by("-last_seq").only("last_seq", "last_mac").first()
    start_seq, start_mac = (newest.last_seq + 1, newest.last_mac) if newest else (1, GENESIS)
    result = Verification(start_seq=start_seq, head_seq=start_seq - 1, head_mac=start_mac)

    def counted() -> Iterator[AuditEntry]:
        for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
            result.count += 1
            result.head_seq, result.head_mac = entry.seq, entry.mac
            yield entry

    for found in verify(counted(), start_seq=start_seq, start_mac=start_mac):
        result.break_count += 1
        if len(result.breaks) < keep:
            result.breaks.append(found)
    return result
