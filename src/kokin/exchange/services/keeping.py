"""Keeping a file that was checked and may be kept: its body encrypted into the vault (unless it was
taken in while it arrived, or a blob holds it already), then its blob's row, its own row and its log
entry in one transaction; the download operators are told of an inbound file once that is committed."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from kokin.accounts.models import DataKind
from kokin.exchange.models import ExchangeFile
from kokin.exchange.services._common import Received
from kokin.exchange.services.notify import notify_arrival, notify_awaiting_approval
from kokin.exchange.states import State
from kokin.vault import services as vault
from kokin.vault.models import Blob


def keep(
    received: Received,
    *,
    blob: Blob | None,
    new_file: Callable[[Blob], ExchangeFile],
    log: Callable[[ExchangeFile], None],
) -> ExchangeFile:
    """Keep ``received`` (or its ``blob``, already in the vault): the file's row is ``new_file(blob)``,
    its entry is written by ``log(file)``. Nothing is kept when anything fails. Once committed, the download
    operators are told of an inbound file, the approvers of one that awaits approval."""
    taken = received.taken
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
            file = new_file(blob)
            file.save()
            log(file)
            if file.direction == DataKind.Direction.INBOUND and file.state == State.AVAILABLE:
                transaction.on_commit(lambda: notify_arrival(file=file), robust=True)
            if file.state == State.AWAITING_APPROVAL:
                transaction.on_commit(lambda: notify_awaiting_approval(file=file), robust=True)
    except BaseException:
        if sealed is not None:
            sealed.discard()
        raise
    return file
