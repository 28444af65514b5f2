"""What the bank link's services share: an operation-log entry written as the bank's system account
(an :class:`~kokin.audit.actor.Actor` in the bank's role, built at the edge by
:func:`kokin.accounts.actors.bank_actor`), the chunk size, and the parts of an upload (their temp
plaintext file, their shredding)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.banklink.models import BankUpload
from kokin.exchange.models import ExchangeFile
from kokin.vault import services as vault

#: how much of a request body or a blob is handled at a time
CHUNK = 1 << 20
#: errors kept on an upload (all are counted in the log)
KEEP_ERRORS = 100
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def log_action(
    action: str,
    actor: Actor,
    *,
    object: str,
    sha256: str = "",
    outcome: str = "success",
    **detail: Any,
) -> None:
    """An operation-log entry written as the bank's system account ``actor``."""
    record(
        action=action,
        actor=actor,
        object=object,
        sha256=sha256,
        outcome=outcome,
        detail=detail,
    )


def shred_parts(upload: BankUpload, reason: str) -> None:
    """Drop the upload's parts and crypto-shred their blobs — except a blob a stored file has taken
    over (an upload sent in one PATCH: its part's blob is the file's, see
    :func:`~kokin.banklink.uploads.write_part`)."""
    parts = list(upload.parts.all())
    kept = set(ExchangeFile.objects.filter(blob_id__in=[p.blob_id for p in parts]).values_list("blob_id", flat=True))
    for part in parts:
        if part.blob_id not in kept:
            vault.shred(part.blob_id, reason=reason)
        part.delete()


def _upload_folder() -> Path:
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR or Path(settings.HOME) / "tmp" / "uploads")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@contextmanager
def plaintext_file() -> Iterator[tuple[BinaryIO, Path]]:
    """A 0600 file under KOKIN_HOME for the plaintext of an upload (checked from disk when it came in
    several parts; a debit result is matched against its request from it), open for unbuffered writing
    (so it can be read by its path at once); it lives only during the request and is removed in any case."""
    fd, name = tempfile.mkstemp(prefix="banklink-", suffix=".upload", dir=_upload_folder())
    path = Path(name)
    try:
        with os.fdopen(fd, "wb", buffering=0) as fh:
            yield fh, path
    finally:
        path.unlink(missing_ok=True)
