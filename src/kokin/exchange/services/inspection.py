"""Downloads of a file (:func:`record_download`: counted and logged; a new file becomes 取得済) and
検収 (:func:`inspect`), which starts the retention clock."""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.utils import timezone

from kokin.accounts.actors import role_on
from kokin.accounts.permissions import Action
from kokin.audit.actor import Actor
from kokin.audit.services import record
from kokin.exchange.errors import Quarantined, Refused
from kokin.exchange.models import ExchangeFile
from kokin.exchange.services._common import changing, log_file, move, require, set_due
from kokin.exchange.states import State
from kokin.incidents import detection

#: how many downloads the file row lists (all are counted and logged)
KEEP_DOWNLOADS = 50


def record_download(
    *,
    file: ExchangeFile,
    actor: Actor,
    what: str,
    sha256: str,
    detail: dict[str, Any] | None = None,
) -> ExchangeFile:
    """Count and log one download (``what``: original, csv, zip) of the bytes with ``sha256``; a new
    inbound file becomes 取得済."""
    business = file.data_kind.business
    user = require(actor, Action.DOWNLOAD_FILE, business, log="exchange_download", obj=f"file:{file.id}")
    with changing(file, log="exchange_download", actor=actor) as locked:
        if locked.state == State.ERASED:
            raise Refused("このファイルは消去済みです", "the file has been erased")
        if locked.state == State.QUARANTINED:
            raise Quarantined
        now = timezone.now()
        if locked.state == State.AVAILABLE:
            move(locked, State.DOWNLOADED, by=user.username, at=now)
        locked.download_count += 1
        locked.first_downloaded_at = locked.first_downloaded_at or now
        locked.last_downloaded_at = now
        event = {"at": now.isoformat(), "by": user.username, "as": what, "sha256": sha256}
        downloads = [h for h in locked.history if h.get("state") == "download"][-(KEEP_DOWNLOADS - 1) :]
        locked.history = [h for h in locked.history if h.get("state") != "download"] + downloads
        locked.history.append({"state": "download", **event})
        locked.save()
        entry = record(
            action="exchange_download",
            actor=actor,
            role=role_on(actor, business),
            object=f"file:{locked.id}",
            sha256=sha256,
            detail={"as": what, "original_sha256": locked.sha256, "count": locked.download_count, **(detail or {})},
        )
        # counted for the mass-download rule once the download is on record (outside this row's lock)
        transaction.on_commit(
            functools.partial(
                detection.download_event,
                business=business.code,
                file={"id": str(locked.id), "data_kind": locked.data_kind_id, "records": locked.total_count},
                size=locked.size,
                evidence=entry.seq,
            ),
            robust=True,
        )
    return file


def inspect(*, file: ExchangeFile, actor: Actor) -> ExchangeFile:
    """検収: an operator with 取得 confirms that the downloaded file was received and imported; the
    retention clock for erasure starts."""
    business = file.data_kind.business
    user = require(actor, Action.DOWNLOAD_FILE, business, log="exchange_inspect", obj=f"file:{file.id}")
    with changing(file, log="exchange_inspect", actor=actor) as locked:
        now = timezone.now()
        move(locked, State.INSPECTED, by=user.username, at=now)
        locked.inspected_by = user
        locked.inspected_at = now
        set_due(locked)
        locked.save()
        log_file(
            "exchange_inspect",
            locked,
            actor=actor,
            detail={"retention_due": locked.retention_due.isoformat() if locked.retention_due else None},
        )
    return file
