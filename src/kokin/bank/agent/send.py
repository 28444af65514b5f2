"""Sending (配信): one outbox file to the hub as a tus upload, resumed where it stopped.

The upload's state (fingerprint of the source, SHA-256, upload URL) lives in ``<spool>/.agent/uploads/``
so a restart resumes instead of creating again; an EBCDIC file is converted to Shift_JIS in staging
first. A stored file moves to ``sent/``; a refused or rejected one to ``failed/`` with its reasons.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from kokin.bank import client as hubclient
from kokin.bank.agent.outcome import AgentBase, RoundResult, elapsed_ms, file_size, now_iso
from kokin.bank.agent.retry import GiveUp, Retrier, Stopped
from kokin.bank.client import UploadStatus
from kokin.bank.conversion import ConversionError, convert_file
from kokin.bank.errors import AuthError, HubError, HubRefusal, Interrupted, NotFound, TransientError
from kokin.bank.history import TransferRecord
from kokin.bank.spool import OutboxFile, read_json, safe_component, write_json

log = logging.getLogger("kokin.bank.agent")


class Sending(AgentBase):
    """The agent's sending half."""

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
            errors = [{"record": exc.record, "field": "", "message_ja": exc.message_ja, "message_en": exc.message_en}]
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
                    except NotFound:
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
            except AuthError:
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
            duration = elapsed_ms(t0)
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
        size = size if size is not None else file_size(item.path)
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
                elapsed_ms(t0),
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
