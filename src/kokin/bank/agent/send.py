"""Sending (配信): one outbox file to the hub as a tus upload, resumed where it stopped.

The upload's state (fingerprint of the source, SHA-256, upload URL) lives in ``<spool>/.agent/uploads/``
so a restart resumes instead of creating again; an EBCDIC file is converted to Shift_JIS in staging
first. A stored file moves to ``sent/``; a refused or rejected one to ``failed/`` with its reasons.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kokin.bank import client as hubclient
from kokin.bank.agent.outcome import AgentBase, RoundResult, Transfer, elapsed_ms, file_size, now_iso
from kokin.bank.agent.retry import Retrier, Stopped
from kokin.bank.client import UploadStatus
from kokin.bank.conversion import ConversionError, convert_file
from kokin.bank.errors import AuthError, HubError, HubRefusal, Interrupted, NotFound, TransientError
from kokin.bank.spool import OutboxFile, read_json, safe_component, write_json

log = logging.getLogger("kokin.bank.agent")


@dataclass
class _Upload:
    """One outbox file's tus upload: its resume state, and what this run's attempts found and sent."""

    item: OutboxFile
    state_path: Path
    #: what ``<spool>/.agent/uploads/`` keeps: the source's fingerprint, ``sha256``, ``length``, ``url``
    state: dict[str, Any]
    #: what goes to the hub: the file itself, or its Shift_JIS copy in staging
    path: Path
    sha256: str
    length: int
    sent_bytes: int = 0
    resumed_from: int | None = None
    created_now: bool = False

    @property
    def duplicate(self) -> bool:
        """The hub had every byte before this run sent one: a resend of a file it has stored."""
        return self.created_now and self.sent_bytes == 0 and self.resumed_from == self.length


class Sending(AgentBase):
    """The agent's sending half."""

    def send(self, item: OutboxFile, result: RoundResult) -> None:
        transfer = Transfer(
            "send",
            item.transfer_id,
            item.name,
            Retrier(self, f"{item.transfer_id}/{item.name}"),
            bank_file_id=item.bank_file_id,
        )
        upload = self._prepare(item, transfer, result)
        if upload is None:
            return
        transfer.sha256, transfer.size = upload.sha256, upload.length
        log.info(
            "配信開始 / sending: %s/%s (%s バイト / bytes, 金融機関ファイルID / bank file ID %s)",
            item.transfer_id,
            item.name,
            f"{upload.length:,}",
            item.bank_file_id,
        )
        try:
            status = self.with_retries(lambda: self._push(upload), transfer, result)
        except AuthError:
            raise
        except HubRefusal as exc:
            # 400 unknown/outbound transfer ID, 409 same bank file ID with other contents …
            log.error("ハブが受付を拒否 / the hub refused the upload: %s/%s: %s", item.transfer_id, item.name, exc)
            self._fail_upload(item, _unsent(transfer, item), _errors_from(exc), result, "refused")
            return
        if status is None:
            return
        transfer.file_id = status.file_id
        if status.outcome == "stored":
            self._stored(upload, transfer, result)
        else:
            self._rejected(upload, transfer, result)

    def _prepare(self, item: OutboxFile, transfer: Transfer, result: RoundResult) -> _Upload | None:
        """The file's SHA-256 and length as sent (converted to Shift_JIS first where configured),
        taken from the resume state while the source is unchanged; ``None`` if there is nothing to send."""
        state_path = self._state_path(item.bank_file_id)
        state = read_json(state_path) or {}
        conversion = self.config.conversion_for(item.transfer_id)
        try:
            stat = item.path.stat()
        except FileNotFoundError:
            return None  # taken back by the bank's core system
        fingerprint = {"source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns, "conversion": conversion}
        same_source = all(state.get(k) == v for k, v in fingerprint.items())
        send_path = item.path
        try:
            if conversion == "ebcdic":
                send_path = self._staged(item.bank_file_id)
                if not (same_source and send_path.exists() and state.get("sha256")):
                    tmp = send_path.with_suffix(".tmp")
                    converted = convert_file(item.path, tmp, "sjis")
                    os.replace(tmp, send_path)
                    state = {**fingerprint, "sha256": converted.sha256, "length": converted.bytes}
            elif not (same_source and state.get("sha256")):
                state = {**fingerprint, "sha256": hubclient.sha256_file(item.path).hexdigest(), "length": stat.st_size}
        except ConversionError as exc:
            log.error("変換できません / cannot convert: %s/%s: %s", item.transfer_id, item.name, exc)
            errors = [{"record": exc.record, "field": "", "message_ja": exc.message_ja, "message_en": exc.message_en}]
            self._fail_upload(item, _unsent(transfer, item), errors, result, "conversion")
            return None
        state.update({"transfer_id": item.transfer_id, "name": item.name, "bank_file_id": item.bank_file_id})
        state.setdefault("started_at", transfer.started_at)
        write_json(state_path, state)
        return _Upload(item, state_path, state, send_path, str(state["sha256"]), int(state["length"]))

    def _push(self, upload: _Upload) -> UploadStatus:
        """One attempt: find the upload on the hub (or create it), send what it lacks, get its verdict."""
        item = upload.item
        try:
            url, status = self._find_or_create(upload)
            if upload.resumed_from is None:
                upload.resumed_from = status.offset
                if 0 < status.offset < upload.length:
                    log.info(
                        "配信再開 / resuming upload: %s/%s at %s of %s bytes",
                        item.transfer_id,
                        item.name,
                        f"{status.offset:,}",
                        f"{upload.length:,}",
                    )
            while status.outcome is None and status.offset < upload.length:
                if self.stop.is_set():
                    raise Stopped()
                size = min(self.config.transfer.chunk_bytes, upload.length - status.offset)
                before = status.offset
                status = self.client.patch_upload(url, upload.path, status.offset, size)
                upload.sent_bytes += max(0, status.offset - before)
            if status.outcome is None:
                # every byte is there but no verdict yet (a cut on the last PATCH): ask again
                status = self.client.head_upload(url)
                if status.outcome is None:
                    raise TransientError(
                        "全バイト送信済みですが結果がまだありません",
                        "every byte is on the hub but it has no outcome yet",
                    )
            return status
        except (Stopped, Interrupted):
            log.info("配信を中断 (再開可能) / upload interrupted, resumable: %s/%s", item.transfer_id, item.name)
            raise Stopped() from None

    def _find_or_create(self, upload: _Upload) -> tuple[str, UploadStatus]:
        url = upload.state.get("url")
        if url:
            try:
                return url, self.client.head_upload(url)
            except NotFound:
                log.info("再開できないため新規作成 / upload gone on the hub, creating again: %s", url)
        item = upload.item
        metadata = {
            "filename": item.name,
            "transfer_id": item.transfer_id,
            "bank_file_id": item.bank_file_id,
            "sha256": upload.sha256,
        }
        url = self.client.create_upload(upload.length, metadata)
        upload.state["url"] = url
        write_json(upload.state_path, upload.state)  # from here a restart resumes instead of creating
        upload.created_now = True
        return url, self.client.head_upload(url)

    def _stored(self, upload: _Upload, transfer: Transfer, result: RoundResult) -> None:
        item = upload.item
        duplicate = upload.duplicate
        outcome = "duplicate" if duplicate else "stored"
        self.spool.place(item.path, self.spool.sent / item.transfer_id, item.name)
        self._forget_upload(item.bank_file_id)
        duration = elapsed_ms(transfer.t0)
        reason = "同じ金融機関ファイルIDは登録済 / already stored under this bank file ID" if duplicate else ""
        self.history.add(transfer.row(outcome, reason, duration_ms=duration))
        if duplicate:
            log.info(
                "再送を認識: 登録済 / resend recognised, already stored: %s/%s (ファイルID / file ID %s)",
                item.transfer_id,
                item.name,
                transfer.file_id,
            )
        else:
            log.info(
                "配信完了 / sent: %s/%s %s バイト / bytes, %d ms, 再試行 / retries %d, ファイルID / file ID %s",
                item.transfer_id,
                item.name,
                f"{upload.length:,}",
                duration,
                transfer.retries,
                transfer.file_id,
            )
        result.sent += 1
        self._jobs(transfer, "success", self.spool.sent / item.transfer_id / item.name, label=outcome)

    def _rejected(self, upload: _Upload, transfer: Transfer, result: RoundResult) -> None:
        """The hub checked the file and refused it: its reasons go beside the file in failed/."""
        url = str(upload.state["url"])
        reasons: list[dict[str, Any]] = []
        try:
            reasons = list(self.client.get_upload(url).get("errors") or [])
        except HubError as exc:
            log.warning("拒否理由を取得できません / cannot fetch the reasons: %s", exc)
        self._fail_upload(upload.item, transfer, reasons, result, "rejected", upload_url=url)

    def _fail_upload(
        self,
        item: OutboxFile,
        transfer: Transfer,
        errors: list[dict[str, Any]],
        result: RoundResult,
        why: str,
        *,
        upload_url: str | None = None,
    ) -> None:
        folder = self.spool.failed / item.transfer_id
        reason = {
            "transfer_id": item.transfer_id,
            "name": item.name,
            "bank_file_id": item.bank_file_id,
            "outcome": why,
            "upload": upload_url,
            "sha256": transfer.sha256,
            "rejected_at": now_iso(),
            "errors": errors,
        }
        write_json(folder / f"{item.name}.reason.json", reason)  # the reason first: never in failed/ without it
        self.spool.place(item.path, folder, item.name)
        self._forget_upload(item.bank_file_id)
        text = _reason_text(errors)
        self.history.add(transfer.row("rejected", text))
        log.error("配信拒否 / rejected: %s/%s → failed/: %s", item.transfer_id, item.name, text)
        result.rejected += 1
        self._jobs(transfer, "failure", folder / item.name, label="rejected", reason=text)

    def _state_path(self, bank_id: str) -> Path:
        return self.spool.uploads / f"{safe_component(bank_id)}.json"

    def _staged(self, bank_id: str) -> Path:
        return self.spool.staging / f"{safe_component(bank_id)}.sjis"

    def _forget_upload(self, bank_id: str) -> None:
        self._state_path(bank_id).unlink(missing_ok=True)
        self._staged(bank_id).unlink(missing_ok=True)


def _unsent(transfer: Transfer, item: OutboxFile) -> Transfer:
    """The transfer as recorded when the hub checked none of it: the source file's size, no digest."""
    return replace(transfer, sha256=None, size=file_size(item.path))


def _errors_from(exc: HubError) -> list[dict[str, Any]]:
    body = exc.body if isinstance(exc.body, dict) else {}
    if isinstance(body.get("errors"), list):
        return list(body["errors"])
    return [
        {"record": None, "field": "", "message_ja": exc.message_ja, "message_en": exc.message_en, "status": exc.status}
    ]


def _reason_text(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "ハブが拒否しました (理由なし) / rejected by the hub (no reason given)"
    first = errors[0]
    where = (
        f"record {first.get('record')} {first.get('field') or ''}: ".replace(" :", ":") if first.get("record") else ""
    )
    more = f" (+{len(errors) - 1})" if len(errors) > 1 else ""
    return f"{where}{first.get('message_ja', '')} / {first.get('message_en', '')}{more}"
