"""The bank agent (連携エージェント): the bank's side of the bank link, a daemon like a HULFT node.

Each round it sends every finished file in ``outbox/<TRANSFER_ID>/`` to the hub (tus uploads, resumed
where they stopped) and collects every file the hub has waiting for the bank into ``inbox/`` (ranged
downloads, checked by SHA-256, acknowledged), then waits ``poll_seconds``. Everything it needs to resume
lives in ``<spool>/.agent/`` and is written atomically, so a SIGKILL at any moment loses at most the
bytes in flight; the hub's idempotent upload creation (by bank file ID) makes a resend harmless.

One line is logged per event, in Japanese and English, on standard output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from kokin.bank import client as hubclient
from kokin.bank.client import HubClient, HubError, HubRefusal, Interrupted, TransientError, UploadStatus
from kokin.bank.config import AgentConfig, ConfigError, load_config
from kokin.bank.conversion import ConversionError, convert_file
from kokin.bank.history import History, TransferRecord
from kokin.bank.jobs import run_jobs
from kokin.bank.spool import (
    OutboxFile,
    Spool,
    fsync_dir,
    iter_state,
    open_private,
    private_dir,
    read_json,
    safe_component,
    write_json,
)

log = logging.getLogger("kokin.bank.agent")


class GiveUp(Exception):
    """The retries of one transfer are spent; the file stays where it is for a later round."""

    def __init__(self, cause: BaseException, retries: int) -> None:
        self.cause = cause
        self.retries = retries
        super().__init__(str(cause))


class Stopped(Exception):
    """A stop was asked for (SIGINT/SIGTERM): leave the current transfer resumable and end."""


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class Retrier:
    """Counts a transfer's failures and waits between attempts: exponential backoff with jitter."""

    def __init__(self, agent: Agent, what: str) -> None:
        self.agent = agent
        self.what = what
        self.retries = 0

    def failed(self, exc: BaseException) -> None:
        cfg = self.agent.config.transfer
        self.retries += 1
        if self.retries > cfg.retries:
            raise GiveUp(exc, self.retries - 1)
        delay = min(cfg.backoff_max_seconds, cfg.backoff_seconds * 2 ** (self.retries - 1))
        # jitter: agents of several banks (or a restarted hub's clients) must not retry in lockstep
        delay = random.uniform(delay / 2, delay) if delay > 0 else 0.0
        log.warning(
            "再試行 %d/%d (%.1f 秒後) / retry %d of %d in %.1f s: %s: %s",
            self.retries,
            cfg.retries,
            delay,
            self.retries,
            cfg.retries,
            delay,
            self.what,
            exc,
        )
        if self.agent.stop.wait(delay):
            raise Stopped()


@dataclass
class RoundResult:
    sent: int = 0
    received: int = 0
    rejected: int = 0
    errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.errors


class Agent:
    def __init__(
        self, config: AgentConfig, *, stop: threading.Event | None = None, client: HubClient | None = None
    ) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.spool = Spool(config.spool_root)
        self.spool.create()
        self.history = History(self.spool.history_db)
        self.client = client or HubClient(config.hub, config.transfer, stop=self.stop)
        #: hub files whose conversion failed: not downloaded again until the agent restarts
        self.refused: set[str] = set()

    def close(self) -> None:
        self.client.close()
        self.history.close()

    # --- one round ------------------------------------------------------------------------------

    def run_round(self) -> RoundResult:
        result = RoundResult()
        try:
            self.retry_acks(result)
            for item in self.spool.scan_outbox():
                if self.stop.is_set():
                    raise Stopped()
                self.send(item, result)
            self.receive_all(result)
        except hubclient.AuthError as exc:
            # nothing will work until the account is fixed: say so once per round, not once per file
            log.error("ハブが認証を拒否しました / the hub refused authentication: %s", exc)
            result.errors += 1
        return result

    # --- sending ----------------------------------------------------------------------------------

    def send(self, item: OutboxFile, result: RoundResult) -> None:
        started_at = now_iso()
        t0 = time.monotonic()
        bank_id = item.bank_file_id
        state_path = self.spool.uploads / f"{safe_component(bank_id)}.json"
        state = read_json(state_path) or {}
        retrier = Retrier(self, f"{item.transfer_id}/{item.name}")
        conversion = self.config.conversion_for(item.transfer_id)
        try:
            stat = item.path.stat()
        except FileNotFoundError:
            return  # taken back by the bank's core system
        fingerprint = {"source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns, "conversion": conversion}
        same_source = all(state.get(k) == v for k, v in fingerprint.items())
        send_path = item.path
        try:
            if conversion == "ebcdic":
                send_path = self.spool.staging / f"{safe_component(bank_id)}.sjis"
                if not (same_source and send_path.exists() and state.get("sha256")):
                    tmp = send_path.with_suffix(".tmp")
                    converted = convert_file(item.path, tmp, "sjis")
                    os.replace(tmp, send_path)
                    state = {**fingerprint, "sha256": converted.sha256, "length": converted.bytes}
            elif not (same_source and state.get("sha256")):
                state = {**fingerprint, "sha256": hubclient.sha256_file(item.path).hexdigest(), "length": stat.st_size}
        except ConversionError as exc:
            log.error("変換できません / cannot convert: %s/%s: %s", item.transfer_id, item.name, exc)
            errors = [{"record": exc.record, "field": "", "message_ja": exc.ja, "message_en": exc.en}]
            self._fail_upload(item, state_path, errors, None, started_at, t0, 0, result, "conversion")
            return
        sha256, length = str(state["sha256"]), int(state["length"])
        state.update({"transfer_id": item.transfer_id, "name": item.name, "bank_file_id": bank_id})
        state.setdefault("started_at", started_at)
        write_json(state_path, state)
        log.info(
            "配信開始 / sending: %s/%s (%s バイト / bytes, 金融機関ファイルID / bank file ID %s)",
            item.transfer_id,
            item.name,
            f"{length:,}",
            bank_id,
        )
        metadata = {"filename": item.name, "transfer_id": item.transfer_id, "bank_file_id": bank_id, "sha256": sha256}
        sent_bytes = 0
        resumed_from: int | None = None
        created_now = False
        status: UploadStatus | None = None
        while True:
            try:
                url = state.get("url")
                status = None
                if url:
                    try:
                        status = self.client.head_upload(url)
                    except hubclient.NotFound:
                        log.info("再開できないため新規作成 / upload gone on the hub, creating again: %s", url)
                        url = None
                if not url:
                    url = self.client.create_upload(length, metadata)
                    state["url"] = url
                    write_json(state_path, state)  # from here a restart resumes instead of creating
                    created_now = True
                    status = self.client.head_upload(url)
                assert status is not None
                if resumed_from is None:
                    resumed_from = status.offset
                    if 0 < status.offset < length:
                        log.info(
                            "配信再開 / resuming upload: %s/%s at %s of %s bytes",
                            item.transfer_id,
                            item.name,
                            f"{status.offset:,}",
                            f"{length:,}",
                        )
                while status.outcome is None and status.offset < length:
                    if self.stop.is_set():
                        raise Stopped()
                    size = min(self.config.transfer.chunk_bytes, length - status.offset)
                    before = status.offset
                    status = self.client.patch_upload(url, send_path, status.offset, size)
                    sent_bytes += max(0, status.offset - before)
                if status.outcome is None:
                    # every byte is there but no verdict yet (a cut on the last PATCH): ask again
                    status = self.client.head_upload(url)
                    if status.outcome is None:
                        raise TransientError(
                            "全バイト送信済みですが結果がまだありません",
                            "every byte is on the hub but it has no outcome yet",
                        )
                break
            except (Stopped, Interrupted):
                log.info("配信を中断 (再開可能) / upload interrupted, resumable: %s/%s", item.transfer_id, item.name)
                raise Stopped() from None
            except hubclient.AuthError:
                raise
            except HubRefusal as exc:
                # 400 unknown/outbound transfer ID, 409 same bank file ID with other contents …
                errors = _errors_from(exc)
                log.error("ハブが受付を拒否 / the hub refused the upload: %s/%s: %s", item.transfer_id, item.name, exc)
                self._fail_upload(item, state_path, errors, None, started_at, t0, retrier.retries, result, "refused")
                return
            except TransientError as exc:
                try:
                    retrier.failed(exc)
                except GiveUp as gave_up:
                    self._give_up(
                        "send",
                        item.transfer_id,
                        item.name,
                        None,
                        bank_id,
                        length,
                        sha256,
                        started_at,
                        t0,
                        gave_up,
                        result,
                    )
                    return
        assert status is not None
        url = str(state["url"])
        duplicate = created_now and sent_bytes == 0 and resumed_from == length
        if status.outcome == "stored":
            outcome = "duplicate" if duplicate else "stored"
            self.spool.place(item.path, self.spool.sent / item.transfer_id, item.name)
            self._forget_upload(state_path, bank_id)
            duration = _ms(t0)
            self.history.add(
                TransferRecord(
                    "send",
                    item.transfer_id,
                    item.name,
                    status.file_id,
                    bank_id,
                    length,
                    sha256,
                    started_at,
                    duration,
                    retrier.retries,
                    outcome,
                    "同じ金融機関ファイルIDは登録済 / already stored under this bank file ID" if duplicate else "",
                )
            )
            if duplicate:
                log.info(
                    "再送を認識: 登録済 / resend recognised, already stored: %s/%s (ファイルID / file ID %s)",
                    item.transfer_id,
                    item.name,
                    status.file_id,
                )
            else:
                log.info(
                    "配信完了 / sent: %s/%s %s バイト / bytes, %d ms, 再試行 / retries %d, ファイルID / file ID %s",
                    item.transfer_id,
                    item.name,
                    f"{length:,}",
                    duration,
                    retrier.retries,
                    status.file_id,
                )
            result.sent += 1
            self._jobs(
                "sent",
                "success",
                item.transfer_id,
                self.spool.sent / item.transfer_id / item.name,
                file_id=status.file_id,
                bank_file_id=bank_id,
                sha256=sha256,
                size=length,
                label=outcome,
            )
            return
        # rejected: the hub's reasons go beside the file in failed/
        reasons: list[dict[str, Any]] = []
        try:
            reasons = list(self.client.get_upload(url).get("errors") or [])
        except HubError as exc:
            log.warning("拒否理由を取得できません / cannot fetch the reasons: %s", exc)
        self._fail_upload(
            item,
            state_path,
            reasons,
            status.file_id,
            started_at,
            t0,
            retrier.retries,
            result,
            "rejected",
            sha256=sha256,
            size=length,
            upload_url=url,
        )

    def _fail_upload(
        self,
        item: OutboxFile,
        state_path: Path,
        errors: list[dict[str, Any]],
        file_id: str | None,
        started_at: str,
        t0: float,
        retries: int,
        result: RoundResult,
        why: str,
        *,
        sha256: str | None = None,
        size: int | None = None,
        upload_url: str | None = None,
    ) -> None:
        folder = self.spool.failed / item.transfer_id
        reason_path = folder / f"{item.name}.reason.json"
        reason = {
            "transfer_id": item.transfer_id,
            "name": item.name,
            "bank_file_id": item.bank_file_id,
            "outcome": why,
            "upload": upload_url,
            "sha256": sha256,
            "rejected_at": now_iso(),
            "errors": errors,
        }
        write_json(reason_path, reason)  # the reason first: the file never shows in failed/ without it
        size = size if size is not None else _size(item.path)
        self.spool.place(item.path, folder, item.name)
        self._forget_upload(state_path, item.bank_file_id)
        text = _reason_text(errors)
        self.history.add(
            TransferRecord(
                "send",
                item.transfer_id,
                item.name,
                file_id,
                item.bank_file_id,
                size,
                sha256,
                started_at,
                _ms(t0),
                retries,
                "rejected",
                text,
            )
        )
        log.error("配信拒否 / rejected: %s/%s → failed/: %s", item.transfer_id, item.name, text)
        result.rejected += 1
        self._jobs(
            "sent",
            "failure",
            item.transfer_id,
            folder / item.name,
            file_id=file_id,
            bank_file_id=item.bank_file_id,
            sha256=sha256,
            size=size,
            label="rejected",
            reason=text,
        )

    def _forget_upload(self, state_path: Path, bank_id: str) -> None:
        state_path.unlink(missing_ok=True)
        (self.spool.staging / f"{safe_component(bank_id)}.sjis").unlink(missing_ok=True)

    # --- receiving --------------------------------------------------------------------------------

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
            except hubclient.AuthError:
                raise
            except hubclient.NotFound:
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
            except hubclient.AuthError:
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
            except hubclient.AuthError:
                raise
            except hubclient.NotFound:
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
                        _size(partial),
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
        duration = _ms(t0)
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
            size=_size(target),
            label="received",
        )

    # --- common -----------------------------------------------------------------------------------

    def _give_up(
        self,
        direction: str,
        transfer_id: str,
        name: str,
        file_id: str | None,
        bank_id: str | None,
        size: int,
        sha256: str | None,
        started_at: str,
        t0: float,
        gave_up: GiveUp,
        result: RoundResult,
    ) -> None:
        reason = str(gave_up.cause)
        log.error(
            "%s失敗 (次回に再試行) / %s failed, left for a later round: %s/%s: %s",
            "配信" if direction == "send" else "集信",
            direction,
            transfer_id,
            name,
            reason,
        )
        self.history.add(
            TransferRecord(
                direction,
                transfer_id,
                name,
                file_id,
                bank_id,
                size,
                sha256,
                started_at,
                _ms(t0),
                gave_up.retries,
                "error",
                reason,
            )
        )
        result.errors += 1
        self._jobs(
            "sent" if direction == "send" else "received",
            "failure",
            transfer_id,
            None,
            file_id=file_id,
            bank_file_id=bank_id,
            sha256=sha256,
            size=size,
            label="error",
            reason=reason,
        )

    def _jobs(
        self,
        when: str,
        outcome: str,
        transfer_id: str,
        path: Path | None,
        *,
        file_id: str | None,
        bank_file_id: str | None,
        sha256: str | None,
        size: int | None,
        label: str,
        reason: str = "",
    ) -> None:
        if not self.config.jobs:
            return
        values = {
            "path": str(path) if path else "",
            "name": path.name if path else "",
            "transfer_id": transfer_id,
            "file_id": file_id or "",
            "bank_file_id": bank_file_id or "",
            "sha256": sha256 or "",
            "bytes": size if size is not None else "",
            "outcome": label,
            "reason": reason,
            "direction": when,
            "spool": str(self.spool.root),
        }
        run_jobs(self.config.jobs, when, outcome, transfer_id, values, cwd=str(self.config.path.parent))

    # --- the daemon -------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> int:
        log.info(
            "エージェント開始 / agent started: hub %s, spool %s%s",
            self.config.hub.url,
            self.spool.root,
            " (1 回のみ / once)" if once else "",
        )
        status = 0
        try:
            while True:
                try:
                    result = self.run_round()
                except Stopped:
                    break
                if once:
                    status = 0 if result.ok else 1
                    break
                if self.stop.wait(self.config.transfer.poll_seconds):
                    break
        finally:
            log.info("エージェント停止 / agent stopped")
        return status


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _errors_from(exc: HubError) -> list[dict[str, Any]]:
    body = exc.body if isinstance(exc.body, dict) else {}
    if isinstance(body.get("errors"), list):
        return list(body["errors"])
    return [{"record": None, "field": "", "message_ja": exc.ja, "message_en": exc.en, "status": exc.status}]


def _reason_text(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "ハブが拒否しました (理由なし) / rejected by the hub (no reason given)"
    first = errors[0]
    where = (
        f"record {first.get('record')} {first.get('field') or ''}: ".replace(" :", ":") if first.get("record") else ""
    )
    more = f" (+{len(errors) - 1})" if len(errors) > 1 else ""
    return f"{where}{first.get('message_ja', '')} / {first.get('message_en', '')}{more}"


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


# --- entry point ------------------------------------------------------------------------------------


class _Formatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


def setup_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


@contextlib.contextmanager
def spool_lock(spool: Spool) -> Iterator[None]:
    """One agent per spool: a second one would send the same files twice at the same time."""
    private_dir(spool.state)
    with os.fdopen(open_private(spool.state / "lock", os.O_RDWR | os.O_CREAT | os.O_APPEND), "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(
                "spool.root",
                f"別のエージェントがこのスプールを使用中です: {spool.root}",
                f"another agent is using this spool: {spool.root}",
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def main(config_path: Path, *, once: bool = False) -> int:
    """``kokin bank agent``: 0 when done (or stopped by a signal), 1 when a transfer failed (with
    ``--once``), 2 for a configuration error."""
    setup_logging()
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"設定の誤り / configuration error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signals = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            # a second Ctrl-C: do not wait for the chunk in flight (the hub keeps what arrived)
            raise KeyboardInterrupt
        log.info(
            "停止要求 (%s): 現在のチャンクの後で停止 / stop requested (%s): stopping after the current chunk",
            signal.Signals(signum).name,
            signal.Signals(signum).name,
        )
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        spool = Spool(config.spool_root)
        with spool_lock(spool):
            agent = Agent(config, stop=stop)
            try:
                return agent.run(once=once)
            finally:
                agent.close()
    except ConfigError as exc:
        print(f"設定の誤り / configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("強制停止 / stopped at once; the state is kept for the next start")
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
