"""Receiving (集信): the hub's waiting files into ``inbox/``, by ranged download, then acknowledged.

A download resumes from ``partial/``, is checked by SHA-256, converted to EBCDIC where configured,
and placed with a JSON sidecar beside it (sidecar first); the acknowledgement is kept in
``<spool>/.agent/acks/`` until the hub has it, so a file is never downloaded twice.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from kokin.bank.agent.outcome import AgentBase, RoundResult, elapsed_ms, file_size, now_iso
from kokin.bank.agent.retry import GiveUp, Retrier, Stopped
from kokin.bank.conversion import ConversionError, convert_file
from kokin.bank.errors import AuthError, HubRefusal, Interrupted, NotFound, TransientError
from kokin.bank.history import TransferRecord
from kokin.bank.spool import iter_state, private_dir, read_json, safe_component, write_json
from kokin.formats.files import fsync_dir

log = logging.getLogger("kokin.bank.agent")


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
        while True:
            try:
                self.client.ack(
                    file_id,
                    sha256=str(pending["sha256"]),
                    size=int(pending["bytes"]),
                    duration_ms=int(pending.get("duration_ms", 0)),
                    retries=int(pending.get("retries", 0)),
                )
            except AuthError:
                raise
            except NotFound:
                log.warning("受信確認の対象がハブにありません / nothing to acknowledge on the hub: %s", file_id)
            except HubRefusal as exc:
                log.error("受信確認が拒否されました / acknowledgement refused: %s: %s", file_id, exc)
            except TransientError as exc:
                try:
                    retrier.failed(exc)
                except GiveUp:
                    log.warning("受信確認は次回に再試行 / acknowledgement left for the next round: %s", file_id)
                    return False
                continue
            else:
                log.info("受信確認済 / acknowledged: %s (%s)", file_id, pending.get("name"))
            path.unlink(missing_ok=True)
            return True

    def receive_all(self, result: RoundResult) -> None:
        retrier = Retrier(self, "GET /files")
        while True:
            try:
                files = self.client.list_files()
                break
            except AuthError:
                raise
            except HubRefusal as exc:
                log.error("ファイル一覧を取得できません / cannot list the hub's files: %s", exc)
                result.errors += 1
                return
            except TransientError as exc:
                try:
                    retrier.failed(exc)
                except GiveUp:
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
        expected = str(entry.get("sha256") or "").lower() or None
        ack_path = self.spool.acks / f"{safe_component(file_id)}.json"
        target, placed = self._inbox_target(entry)
        if ack_path.exists() or placed:
            # placed before: only the acknowledgement is missing (never download twice)
            pending = read_json(ack_path) or _ack_from_sidecar(target, file_id)
            if pending is not None:
                self._ack(ack_path, pending)
                return
        started_at = now_iso()
        t0 = time.monotonic()
        partial = self.spool.partial / f"{safe_component(file_id)}.part"
        retrier = Retrier(self, f"{transfer_id}/{entry.get('name')}")
        log.info(
            "集信開始 / receiving: %s/%s (%s バイト / bytes, ファイルID / file ID %s)",
            transfer_id,
            entry.get("name"),
            f"{int(entry.get('size') or 0):,}",
            file_id,
        )
        while True:
            try:
                download = self.client.download(file_id, partial, expected)
                break
            except Interrupted:
                log.info("集信を中断 (再開可能) / download interrupted, resumable: %s", file_id)
                raise Stopped() from None
            except AuthError:
                raise
            except NotFound:
                log.warning("ファイルはもう取得できません / the file is no longer waiting: %s", file_id)
                partial.unlink(missing_ok=True)
                return
            except HubRefusal as exc:
                self._give_up(
                    "receive",
                    transfer_id,
                    str(entry.get("name")),
                    file_id,
                    None,
                    0,
                    expected,
                    started_at,
                    t0,
                    GiveUp(exc, retrier.retries),
                    result,
                )
                return
            except TransientError as exc:
                try:
                    retrier.failed(exc)
                except GiveUp as gave_up:
                    self._give_up(
                        "receive",
                        transfer_id,
                        str(entry.get("name")),
                        file_id,
                        None,
                        file_size(partial),
                        expected,
                        started_at,
                        t0,
                        gave_up,
                        result,
                    )
                    return
        if download.resumed_from:
            log.info(
                "受信を途中から再開しました / download resumed at byte %s: %s", f"{download.resumed_from:,}", file_id
            )
        data_path = partial
        local_sha = download.sha256
        conversion = self.config.conversion_for(transfer_id)
        if conversion == "ebcdic":
            data_path = self.spool.staging / f"{safe_component(file_id)}.ebcdic"
            try:
                converted = convert_file(partial, data_path, "ebcdic")
            except ConversionError as exc:
                data_path.unlink(missing_ok=True)
                self.refused.add(file_id)
                self._give_up(
                    "receive",
                    transfer_id,
                    str(entry.get("name")),
                    file_id,
                    None,
                    download.bytes,
                    download.sha256,
                    started_at,
                    t0,
                    GiveUp(exc, retrier.retries),
                    result,
                )
                return
            local_sha = converted.sha256
        sidecar = {
            "id": file_id,
            "transfer_id": transfer_id,
            "reply_transfer_id": entry.get("reply_transfer_id"),
            "name": entry.get("name"),
            "format": entry.get("format"),
            "size": download.bytes,
            "sha256": download.sha256,
            "local_sha256": local_sha,
            "conversion": conversion,
            "consignor_code": entry.get("consignor_code"),
            "debit_date": entry.get("debit_date"),
            "records": entry.get("records"),
            "amount": entry.get("amount"),
            "approved_at": entry.get("approved_at"),
            "received_at": now_iso(),
        }
        # the sidecar first, then the data: whoever sees the data file finds its sidecar beside it
        write_json(target.with_name(target.name + ".json"), sidecar)
        private_dir(target.parent)
        os.replace(data_path, target)  # 0600 like every file the agent writes (partial/ or staging/)
        fsync_dir(target.parent)
        partial.unlink(missing_ok=True)
        duration = elapsed_ms(t0)
        pending = {
            "id": file_id,
            "sha256": download.sha256,
            "bytes": download.bytes,
            "duration_ms": duration,
            "retries": retrier.retries,
            "name": target.name,
            "transfer_id": transfer_id,
        }
        write_json(ack_path, pending)
        log.info(
            "集信完了 / received: %s → inbox/%s/%s (%s バイト / bytes, %d ms, 再試行 / retries %d)",
            file_id,
            target.parent.name,
            target.name,
            f"{download.bytes:,}",
            duration,
            retrier.retries,
        )
        acked = self._ack(ack_path, pending)
        self.history.add(
            TransferRecord(
                "receive",
                transfer_id,
                target.name,
                file_id,
                None,
                download.bytes,
                download.sha256,
                started_at,
                duration,
                retrier.retries,
                "received",
                "" if acked else "受信確認は次回に再試行 / acknowledgement pending",
            )
        )
        result.received += 1
        self._jobs(
            "received",
            "success",
            transfer_id,
            target,
            file_id=file_id,
            bank_file_id=None,
            sha256=local_sha,
            size=file_size(target),
            label="received",
        )


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
