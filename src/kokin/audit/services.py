"""Writing to the operation log: one call, :func:`record`, for every operation in the hub.

Each entry's MAC is HMAC-SHA256 (keyed with the server's audit key) over its canonical content and
the previous entry's MAC, so an edited, deleted, inserted or reordered entry breaks the chain at that
point (:func:`verify`). Entries are written inside a transaction that locks the chain head, so
concurrent writers on PostgreSQL still produce one unbroken sequence.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kokin.audit.models import AuditEntry

GENESIS = "0" * 64


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


def _who(request: HttpRequest | None, actor: Any) -> dict[str, str]:
    from kokin.accounts.network import client_cert_fingerprint, client_ip

    out = {"actor": "", "department": "", "client_ip": "", "cert_fingerprint": ""}
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        out["actor"] = user.username
        department = getattr(user, "department", None)
        out["department"] = department.name if department is not None else ""
    elif isinstance(actor, str):
        out["actor"] = actor
    if request is not None:
        out["client_ip"] = client_ip(request)
        out["cert_fingerprint"] = client_cert_fingerprint(request)
    return out


def record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    role: str = "",
    object: str = "",  # noqa: A002 - the operation log's own word for the target
    sha256: str = "",
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the operation log (who, when, from where, what, on what, the file's hash).

    ``actor`` is a user or, for a failed login, the name that was tried.
    """
    who = _who(request, actor)
    with transaction.atomic():
        last = AuditEntry.objects.select_for_update().order_by("-seq").first()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            at=timezone.now(),
            role=role,
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
    return entry


@dataclass(frozen=True)
class Break:
    """Where the chain breaks and why (Japanese and English)."""

    seq: int
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.message_en} / 連番 {self.seq}: {self.message_ja}"


def verify(entries: Iterable[AuditEntry] | None = None) -> Iterator[Break]:
    """Yield every break in the chain: edited, deleted, inserted or reordered entries."""
    rows = entries if entries is not None else AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)
    prev_mac = GENESIS
    expected_seq = 1
    for entry in rows:
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                yield Break(entry.seq, f"連番 {expected_seq}～{entry.seq - 1} が欠落しています (削除の疑い)",
                            f"entries {expected_seq}-{entry.seq - 1} are missing (deleted?)")
            else:
                yield Break(entry.seq, "連番が重複または逆順です (挿入・並べ替えの疑い)",
                            "sequence number repeated or out of order (inserted or reordered?)")
        if entry.prev_mac != prev_mac:
            yield Break(entry.seq, "直前の記録との連結が一致しません (削除・挿入・並べ替えの疑い)",
                        "does not chain to the entry before it (deleted, inserted or reordered?)")
        if not hmac.compare_digest(entry.mac, compute_mac(entry, entry.prev_mac)):
            yield Break(entry.seq, "内容が記録時から変更されています (改ざんの疑い)",
                        "its content changed after it was written (edited?)")
        prev_mac = entry.mac
        expected_seq = entry.seq + 1
