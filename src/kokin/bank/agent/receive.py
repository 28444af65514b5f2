"""Receiving (集信): the hub's waiting files into ``inbox/``, by ranged download, then acknowledged.

A download resumes from ``partial/``, is checked by SHA-256, converted to EBCDIC where configured,
and placed with a JSON sidecar beside it (sidecar first); the acknowledgement is kept in
``<spool>/.agent/acks/`` until the hub has it, so a file is never downloaded twice.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kokin.bank.agent.outcome import AgentBase, RoundResult, Transfer, elapsed_ms, file_size, now_iso
from kokin.bank.agent.retry import GiveUp, Retrier, Stopped
from kokin.bank.client import DownloadResult
from kokin.bank.conversion import ConversionError, convert_file
from kokin.bank.errors import AuthError, HubRefusal, Interrupted, NotFound, TransientError
from kokin.bank.spool import iter_state, private_dir, read_json, safe_component, write_json
from kokin.formats.files import fsync_dir

log = logging.getLogger("kokin.bank.agent")


@dataclass(frozen=True)
class _Fetched:
    """A downloaded and checked file, ready for inbox/: ``path`` holds it as the bank reads it."""

    download: DownloadResult
    path: Path
    #: the SHA-256 of ``path``: the hub's unless the file was converted
    sha256: str
    conversion: str | None


class Receiving(AgentBase):
    """The agent's receiving half."""

    def retry_acks(self, result: RoundResult) -> None:
        """Acknowledge files placed in inbox/ whose acknowledgement failed before (no second download)."""
        for path, pending in iter_state(self.spool.acks):
            if self.stop.is_set():
                raise Stopped()
            self._ack(path, pending)

    def _ack(self, path: Path, pending: dict[str, Any]) -> bool:
        file_id = str(pending["id"])
        retrier = Retrier(self, f"ack {file_id}")
        try:
            retrier.call(
                lambda: self.client.ack(
                    file_id,
                    sha256=str(pending["sha256"]),
                    size=int(pending["bytes"]),
                    duration_ms=int(pending.get("duration_ms", 0)),
                    retries=int(pending.get("retries", 0)),
                )
            )
        except AuthError:
            raise
        except NotFound:
            log.warning("受信確認の対象がハブにありません / nothing to acknowledge on the hub: %s", file_id)
        except HubRefusal as exc:
            log.error("受信確認が拒否されました / acknowledgement refused: %s: %s", file_id, exc)
        except GiveUp:
            log.warning("受信確認は次回に再試行 / acknowledgement left for the next round: %s", file_id)
            return False
        else:
            log.info("受信確認済 / acknowledged: %s (%s)", file_id, pending.get("name"))
        path.unlink(missing_ok=True)
        return True

    def receive_all(self, result: RoundResult) -> None:
        try:
            files = Retrier(self, "GET /files").call(self.client.list_files)
        except AuthError:
            raise
        except (HubRefusal, GiveUp) as exc:
            log.error("ファイル一覧を取得できません / cannot list the hub's files: %s", exc)
            result.errors += 1
            return
        for entry in files:
            if self.stop.is_set():
                raise Stopped()
            self.receive(entry, result)

    def _inbox_target(self, entry: dict[str, Any]) -> tuple[Path, bool]:
        """Where a hub file goes in inbox/, and whether it is already there (placed, ack outstanding)."""
        file_id = str(entry["id"])
        transfer_id = safe_component(str(entry.get("transfer_id") or "UNKNOWN"))
        name = safe_component(str(entry.get("name") or file_id))
        folder = self.spool.inbox / transfer_id
        stem, dot, suffix = name.rpartition(".")
        alternate = f"{stem}.{file_id}.{suffix}" if dot and stem else f"{name}.{file_id}"
        for candidate in (folder / name, folder / alternate):
            sidecar = read_json(candidate.with_name(candidate.name + ".json"))
            if candidate.exists() and sidecar is not None and str(sidecar.get("id")) == file_id:
                return candidate, True
        first = folder / name
        return (first if not first.exists() else folder / alternate), False

    def receive(self, entry: dict[str, Any], result: RoundResult) -> None:
        file_id = str(entry["id"])
        if file_id in self.refused:
            return
        transfer_id = str(entry.get("transfer_id") or "UNKNOWN")
        ack_path = self._ack_path(file_id)
        target, placed = self._inbox_target(entry)
        if ack_path.exists() or placed:
            # placed before: only the acknowledgement is missing (never download twice)
            pending = read_json(ack_path) or _ack_from_sidecar(target, file_id)
            if pending is not None:
                self._ack(ack_path, pending)
                return
        name = str(entry.get("name"))
        transfer = Transfer(
            "receive",
            transfer_id,
            name,
            Retrier(self, f"{transfer_id}/{name}"),
            file_id=file_id,
            sha256=str(entry.get("sha256") or "").lower() or None,
        )
        log.info(
            "集信開始 / receiving: %s/%s (%s バイト / bytes, ファイルID / file ID %s)",
            transfer_id,
            entry.get("name"),
            f"{int(entry.get('size') or 0):,}",
            file_id,
        )
        fetched = self._fetch(file_id, transfer, result)
        if fetched is not None:
            self._place(entry, transfer, fetched, target, result)

    def _fetch(self, file_id: str, transfer: Transfer, result: RoundResult) -> _Fetched | None:
        """Download (resumed from partial/) and convert where configured; ``None`` when it did not
        work out this round (the failure is recorded)."""
        partial = self.spool.partial / f"{safe_component(file_id)}.part"
        expected = transfer.sha256

        def attempt() -> DownloadResult:
            try:
                return self.client.download(file_id, partial, expected)
            except TransientError:
                transfer.size = file_size(partial)  # what a give-up records: the bytes held so far
                raise

        try:
            download = self.with_retries(attempt, transfer, result)
        except Interrupted:
            log.info("集信を中断 (再開可能) / download interrupted, resumable: %s", file_id)
            raise Stopped() from None
        except AuthError:
            raise
        except NotFound:
            log.warning("ファイルはもう取得できません / the file is no longer waiting: %s", file_id)
            partial.unlink(missing_ok=True)
            return None
        except HubRefusal as exc:
            self._give_up(replace(transfer, size=0), exc, result)  # refused outright: nothing received
            return None
        if download is None:
            return None
        if download.resumed_from:
            log.info(
                "受信を途中から再開しました / download resumed at byte %s: %s", f"{download.resumed_from:,}", file_id
            )
        transfer.size, transfer.sha256 = download.bytes, download.sha256
        conversion = self.config.conversion_for(transfer.transfer_id)
        if conversion != "ebcdic":
            return _Fetched(download, partial, download.sha256, conversion)
        converted_path = self.spool.staging / f"{safe_component(file_id)}.ebcdic"
        try:
            converted = convert_file(partial, converted_path, "ebcdic")
        except ConversionError as exc:
            converted_path.unlink(missing_ok=True)
            self.refused.add(file_id)
            self._give_up(transfer, exc, result)
            return None
        return _Fetched(download, converted_path, converted.sha256, conversion)

    def _place(
        self, entry: dict[str, Any], transfer: Transfer, fetched: _Fetched, target: Path, result: RoundResult
    ) -> None:
        """Into inbox/ (the sidecar first), then acknowledged, recorded and the jobs run."""
        file_id = str(entry["id"])
        download = fetched.download
        # the sidecar first, then the data: whoever sees the data file finds its sidecar beside it
        write_json(target.with_name(target.name + ".json"), _sidecar(entry, fetched))
        private_dir(target.parent)
        os.replace(fetched.path, target)  # 0600 like every file the agent writes (partial/ or staging/)
        fsync_dir(target.parent)
        (self.spool.partial / f"{safe_component(file_id)}.part").unlink(missing_ok=True)
        duration = elapsed_ms(transfer.t0)
        transfer.name = target.name
        pending = {
            "id": file_id,
            "sha256": download.sha256,
            "bytes": download.bytes,
            "duration_ms": duration,
            "retries": transfer.retries,
            "name": target.name,
            "transfer_id": transfer.transfer_id,
        }
        ack_path = self._ack_path(file_id)
        write_json(ack_path, pending)
        log.info(
            "集信完了 / received: %s → inbox/%s/%s (%s バイト / bytes, %d ms, 再試行 / retries %d)",
            file_id,
            target.parent.name,
            target.name,
            f"{download.bytes:,}",
            duration,
            transfer.retries,
        )
        acked = self._ack(ack_path, pending)
        reason = "" if acked else "受信確認は次回に再試行 / acknowledgement pending"
        self.history.add(transfer.row("received", reason, duration_ms=duration))
        result.received += 1
        # the jobs see the file as placed: converted, its own digest and length
        placed = replace(transfer, sha256=fetched.sha256, size=file_size(target))
        self._jobs(placed, "success", target, label="received")

    def _ack_path(self, file_id: str) -> Path:
        return self.spool.acks / f"{safe_component(file_id)}.json"


def _sidecar(entry: dict[str, Any], fetched: _Fetched) -> dict[str, Any]:
    """What the bank's core system learns about a received file, in ``<name>.json`` beside it."""
    return {
        "id": str(entry["id"]),
        "transfer_id": str(entry.get("transfer_id") or "UNKNOWN"),
        "reply_transfer_id": entry.get("reply_transfer_id"),
        "name": entry.get("name"),
        "format": entry.get("format"),
        "size": fetched.download.bytes,
        "sha256": fetched.download.sha256,
        "local_sha256": fetched.sha256,
        "conversion": fetched.conversion,
        "consignor_code": entry.get("consignor_code"),
        "debit_date": entry.get("debit_date"),
        "records": entry.get("records"),
        "amount": entry.get("amount"),
        "approved_at": entry.get("approved_at"),
        "received_at": now_iso(),
    }


def _ack_from_sidecar(target: Path, file_id: str) -> dict[str, Any] | None:
    sidecar = read_json(target.with_name(target.name + ".json"))
    if sidecar is None or str(sidecar.get("id")) != file_id:
        return None
    return {
        "id": file_id,
        "sha256": sidecar.get("sha256"),
        "bytes": sidecar.get("size", 0),
        "duration_ms": 0,
        "retries": 0,
        "name": target.name,
        "transfer_id": sidecar.get("transfer_id"),
    }
