"""Master keys: rotation (every data key re-wrapped under a new master key, old keys retired),
destruction of a retired key, and the keys' status."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q

from kokin.audit.actor import Actor
from kokin.vault._oplog import log_operation
from kokin.vault.crypto import SCHEME, associated_data
from kokin.vault.errors import MasterKeyError, TamperedBlob, VaultError
from kokin.vault.keys import KeyInfo, get_provider
from kokin.vault.models import Blob
from kokin.vault.stores import get_store

log = logging.getLogger(__name__)


@dataclass
class Rotation:
    """What :func:`rotate_master_key` did."""

    new_key_id: str
    rewrapped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    #: keys no data key needs any more that the operator has to remove (environment keys)
    to_remove: list[str] = field(default_factory=list)
    #: keys still needed (a failed re-wrap, or a file stored under the old key during the rotation)
    kept: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def rotate_master_key(*, actor: Actor | None = None) -> Rotation:
    """Make a new master key current and re-wrap every data key under it; bodies are not touched.

    An old key is retired (moved to ``keys/retired/``) only once no live blob needs it; a key still
    needed is kept and reported, and running the rotation again finishes the job. Idempotent and
    safe to interrupt: each blob is re-wrapped in its own transaction.
    """
    provider = get_provider()
    new = provider.create() if provider.can_create else provider.current()
    result = Rotation(new_key_id=new.key_id)
    pending = Blob.objects.filter(shredded_at__isnull=True).exclude(master_key_id=new.key_id)
    for pk in list(pending.values_list("id", flat=True).iterator(chunk_size=2000)):
        try:
            with transaction.atomic():
                row = Blob.objects.select_for_update().get(pk=pk)
                if row.shredded_at is not None or row.master_key_id == new.key_id:
                    continue
                old = provider.get(row.master_key_id)
                ad = associated_data(row.id)
                try:
                    clear = old.unwrap(bytes(row.wrapped_key), ad)
                except MasterKeyError:
                    raise
                except Exception as exc:
                    raise TamperedBlob(
                        row.id, "データ鍵を復号できません", "its wrapped data key does not decrypt"
                    ) from exc
                row.wrapped_key = new.wrap(clear, ad)
                row.master_key_id = new.key_id
                row.save(update_fields=["wrapped_key", "master_key_id"])
            result.rewrapped += 1
        except (VaultError, Blob.DoesNotExist) as exc:
            if not isinstance(exc, Blob.DoesNotExist):
                result.failed.append((str(pk), str(exc)))
                log.error("re-wrap of blob %s failed: %s", pk, exc)
    in_use = set(Blob.objects.filter(shredded_at__isnull=True).values_list("master_key_id", flat=True).distinct())
    for info in provider.list_keys():
        if info.key_id == new.key_id or info.state == "retired":
            continue
        if info.key_id in in_use:
            result.kept.append(info.key_id)
        elif provider.retire(info.key_id):
            result.retired.append(info.key_id)
        else:
            result.to_remove.append(info.key_id)
    log_operation(
        action="keys_rotate",
        actor=actor,
        blob_id="",
        outcome="success" if result.ok else "failure",
        detail={
            "provider": provider.name,
            "new_key": new.key_id,
            "rewrapped": result.rewrapped,
            "failed": len(result.failed),
            "retired": result.retired,
            "to_remove": result.to_remove,
            "kept": result.kept,
        },
        always=True,
    )
    return result


def destroy_retired_key(key_id: str, *, actor: Actor | None = None) -> None:
    """Destroy a retired master key for good, so that wrapped data keys left in old database
    backups (or shredded rows still in free pages) can never be unwrapped. Refused while a live
    blob still needs it. Database backups older than its retirement become unreadable."""
    if Blob.objects.filter(shredded_at__isnull=True, master_key_id=key_id).exists():
        raise MasterKeyError(
            f"マスター鍵 {key_id} はまだ使われています (先に kokin keys rotate を実行してください)",
            f"master key {key_id} is still in use (run kokin keys rotate first)",
        )
    provider = get_provider()
    provider.destroy(key_id)
    log_operation(
        action="keys_destroy",
        actor=actor,
        blob_id="",
        detail={"provider": provider.name, "key": key_id},
        always=True,
    )


@dataclass
class KeyStatus:
    provider: str
    store: str
    scheme: str
    keys: list[tuple[KeyInfo, int]]
    blobs: int
    shredded: int
    #: live blobs wrapped by a key that is not the current one (a rotation to finish)
    not_current: int


def key_status() -> KeyStatus:
    """The master keys (never their material), how many live blobs each wraps, and the totals."""
    provider = get_provider()
    current = provider.current()
    counts = dict(
        Blob.objects.filter(shredded_at__isnull=True)
        .values_list("master_key_id")
        .annotate(n=Count("id"))
        .values_list("master_key_id", "n")
    )
    totals = Blob.objects.aggregate(blobs=Count("id"), shredded=Count("id", filter=Q(shredded_at__isnull=False)))
    infos = provider.list_keys()
    known = {info.key_id for info in infos}
    rows = [(info, counts.get(info.key_id, 0)) for info in infos]
    rows += [
        (KeyInfo(key_id, "missing", "?", "not found: restore it"), n)
        for key_id, n in counts.items()
        if key_id not in known
    ]
    return KeyStatus(
        provider=provider.name,
        store=get_store().name,
        scheme=SCHEME,
        keys=rows,
        blobs=totals["blobs"],
        shredded=totals["shredded"],
        not_current=sum(n for key_id, n in counts.items() if key_id != current.key_id),
    )
