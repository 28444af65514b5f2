"""Shredding: crypto-shredding of a blob (its data key overwritten, then its body deleted), and the
sweep that removes what a crash or a failed shred left behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kokin.audit.actor import Actor
from kokin.vault._oplog import log_operation
from kokin.vault.models import Blob
from kokin.vault.stores import STORES, BlobStore, get_store


def shred(
    blob: Blob | UUID | str,
    *,
    actor: Actor | None = None,
    reason: str = "",
) -> Blob:
    """Crypto-shredding: the wrapped data key is overwritten (and ``shredded_at`` set) in one
    transaction with the log entry; then the body is deleted (after the commit, if called inside a
    transaction). Without the data key the body is noise even where copies of it survive (backups).

    Always logged: as ``actor`` (in the role it carries), or as the hub itself when no one asked.
    Idempotent: shredding a shredded blob only retries deleting its body.
    """
    pk = blob.pk if isinstance(blob, Blob) else blob
    with transaction.atomic():
        row = Blob.objects.select_for_update().get(pk=pk)
        if row.shredded_at is None:
            row.wrapped_key = b""
            row.shredded_at = timezone.now()
            row.save(update_fields=["wrapped_key", "shredded_at"])
            log_operation(
                action="vault_shred",
                actor=actor,
                blob_id=row.id,
                sha256=row.sha256,
                detail={"method": "crypto-shredding", "backend": row.backend, "reason": reason[:200]},
                always=True,
            )
        backend, blob_id = row.backend, row.id

        def delete_body() -> None:
            get_store(backend).delete(blob_id)

        transaction.on_commit(delete_body, robust=True)
    return row


def sweep(*, older_than: timedelta = timedelta(hours=6)) -> int:
    """Remove what a crash or a failed shred left behind: abandoned partial writes, bodies with no
    blob row and export packages older than ``older_than``, and bodies of shredded blobs. Returns
    how many."""
    cutoff = timezone.now() - older_than
    removed = 0
    exports = Path(settings.HOME) / "tmp" / "exports"
    if exports.is_dir():
        for path in exports.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                removed += 1
    for name in STORES:
        target = get_store(name)
        removed += target.remove_partials(cutoff)
        batch: list[tuple[UUID, Any]] = []

        def flush(items: list[tuple[UUID, Any]], target: BlobStore = target) -> int:
            rows = dict(Blob.objects.filter(pk__in=[i for i, _ in items]).values_list("id", "shredded_at"))
            gone = 0
            for blob_id, when in items:
                orphan = blob_id not in rows and when < cutoff
                if (orphan or (blob_id in rows and rows[blob_id] is not None)) and target.delete(blob_id):
                    gone += 1
            return gone

        for entry in target.entries():
            batch.append(entry)
            if len(batch) >= 500:
                removed += flush(batch)
                batch = []
        if batch:
            removed += flush(batch)
    return removed
