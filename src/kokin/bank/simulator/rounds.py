"""One round of the bank simulator: the period's collection files into ``outbox/``, answers to the
debit requests in ``inbox/`` (results into ``outbox/``, requests archived or rejected with a reason)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from kokin.bank.simulator.calendar import day_at
from kokin.bank.simulator.collect import Collections
from kokin.bank.simulator.config import TRANSFER_ID, Config, ConfigError
from kokin.bank.simulator.debit import Rejection, debit
from kokin.bank.simulator.state import State, first_period, next_period
from kokin.bank.spool import write_atomic

SIDECAR_GRACE_SECONDS = 60  # the agent may write a sidecar just after its file


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``stem-2.ext``… when that is taken (archives never overwrite)."""
    path = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def _move(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, source.name)
    os.replace(source, target)
    return target


def log(ja: str, en: str) -> None:
    """One line per action on stdout, in Japanese and English."""
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} {ja} / {en}", flush=True)


class Simulator:
    def __init__(self, config: Config, seed: int) -> None:
        self.config = config
        self.seed = seed
        self.spool = config.spool
        self.state_path = self.spool / ".simulator" / "state.json"
        active = [k for k in config.collections if k.yearly_volume > 0]
        self.collections = Collections(
            seed, active, max_records=config.max_records_per_file, min_records=config.min_records_per_file
        )
        for k in config.collections:
            if k.yearly_volume == 0:
                log(f"{k.transfer_id}: 年間件数 0 のため作成しません", f"{k.transfer_id}: yearly volume 0, no files")
        self.debits = {d.transfer_id: d for d in config.debits}
        self.state = self._load_state()

    # state
    def _load_state(self) -> State:
        if self.state_path.exists():
            try:
                state = State.from_json(json.loads(self.state_path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(
                    f"状態ファイル {self.state_path} を読めません: {exc}",
                    f"cannot read the state {self.state_path}: {exc}",
                ) from exc
            if state.seed != self.seed:
                log(
                    f"状態ファイルの乱数種は {state.seed} です。{self.seed} で続けます (支払者が入れ替わります)",
                    f"the state was made with seed {state.seed}; carrying on with {self.seed} (other payers)",
                )
                state.seed = self.seed
            log(
                f"状態を読み込みました: 模擬日 {day_at(state.last)}",
                f"state loaded: simulated day {day_at(state.last)}",
            )
            return state
        start = self.config.start_date or dt.date.today()
        try:
            first, last = first_period(start, self.config.scale)
        except ValueError as exc:
            raise ConfigError(
                f"start_date {start} は扱えません: {exc}", f"start_date {start} cannot be used: {exc}"
            ) from exc
        return State(seed=self.seed, first=first, last=last)

    def save(self) -> None:
        raw = json.dumps(self.state.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        write_atomic(self.state_path, raw.encode("utf-8"))

    # collection data
    def produce(self) -> list[Path]:
        """The current period's collection files, unless they are already out."""
        if self.state.produced or not self.collections.kinds:
            return []
        first, last = self.state.first, self.state.last
        day = day_at(last)
        started = time.perf_counter()
        for pulled in self.state.pulled.values():  # payments moved to a day now past are no longer needed
            for key in [k for k, d in pulled.items() if dt.date.fromisoformat(d) < day_at(first)]:
                del pulled[key]
        numbers = {}
        for spec in self.collections.kinds:
            last_file = self.state.files.get(spec.transfer_id, {})
            numbers[spec.transfer_id] = last_file.get("n", 0) + 1 if last_file.get("date") == day.isoformat() else 1
        files = self.collections.build(first, last, numbers, self.state.pulled)
        written = []
        for f in files:
            n = numbers[f.transfer_id]
            path = self.spool / "outbox" / f.transfer_id / f"{day:%Y%m%d}-{f.transfer_id}-{n}.dat"
            write_atomic(path, f.raw)
            written.append(path)
            self.state.files[f.transfer_id] = {"date": day.isoformat(), "n": n}
            for key, original in f.pulled:
                self.state.pulled.setdefault(f.transfer_id, {})[key] = original
            cut_ja = f" (max_records_per_file: {f.available:,} 件から)" if f.available > f.records else ""
            cut_en = f" (max_records_per_file: of {f.available:,})" if f.available > f.records else ""
            log(
                f"収入済データ作成 {f.transfer_id} {path.name}: {f.records:,} 件{cut_ja} {f.amount:,} 円",
                f"collection data {f.transfer_id} {path.name}: {f.records:,} records{cut_en}, {f.amount:,} yen",
            )
        self.state.produced = True
        self.save()
        span = f"{day_at(first)}〜{day}" if first != last else f"{day}"
        log(
            f"模擬日 {span} の収入済データ {len(files)} ファイル ({time.perf_counter() - started:.1f} 秒)",
            f"collection data for {span}: {len(files)} files ({time.perf_counter() - started:.1f} s)",
        )
        return written

    def advance(self) -> None:
        """Move to the next business day (or month)."""
        self.state.first, self.state.last = next_period(self.state.first, self.state.last, self.config.scale)
        self.state.produced = False
        self.save()
        log(f"模擬日を {day_at(self.state.last)} に進めました", f"simulated day moved to {day_at(self.state.last)}")

    # debit requests
    def requests(self) -> Iterator[tuple[str, Path]]:
        inbox = self.spool / "inbox"
        if not inbox.is_dir():
            return
        for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".json"):
                    yield folder.name, path

    def _reply_of(self, transfer_id: str, path: Path) -> str | None:
        spec = self.debits.get(transfer_id)
        if spec is not None and spec.reply:
            return spec.reply
        sidecar = path.with_name(path.name + ".json")
        if sidecar.exists():
            with contextlib.suppress(OSError, ValueError, AttributeError):
                reply = json.loads(sidecar.read_text(encoding="utf-8")).get("reply_transfer_id")
                if isinstance(reply, str) and TRANSFER_ID.match(reply):
                    return reply
        if "-REQ" in transfer_id:
            return transfer_id.replace("-REQ", "-RES")
        return None

    def _archive(self, folder: str, transfer_id: str, path: Path) -> Path:
        target = _move(path, self.spool / folder / transfer_id)
        sidecar = path.with_name(path.name + ".json")
        if sidecar.exists():
            os.replace(sidecar, target.with_name(target.name + ".json"))
        return target

    def _result_stem(self, request: Path) -> str:
        stem = f"{request.stem}-result"
        used = set(self.state.bank_file_ids)
        n = 1
        candidate = stem
        while candidate in used:  # a bank file ID is never reused, even if the hub repeats a name
            n += 1
            candidate = f"{stem}-{n}"
        return candidate

    def answer(self, transfer_id: str, path: Path) -> Path | None:
        """Debit one request; write its result; archive it (or reject it with the reason)."""
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        done = self.state.requests.get(digest)
        if done is not None:  # delivered again (or the last run stopped before archiving): never debit twice
            target = self._archive("processed", transfer_id, path)
            log(
                f"口座振替請求 {path.name} は処理済みです ({done['result']}); 再処理せず保管しました",
                f"debit request {path.name} was answered already ({done['result']}); archived, not debited again",
            )
            return target
        reply = self._reply_of(transfer_id, path)
        started = time.perf_counter()
        try:
            if reply is None:
                raise Rejection(
                    f"転送ファイルID {transfer_id} の結果の送り先 (reply) がわかりません",
                    f"no reply mailbox is known for transfer ID {transfer_id}",
                )
            try:
                result = debit(raw, seed=self.seed, accounts=self.state.accounts, today=day_at(self.state.last))
            except Rejection:
                raise
            except Exception as exc:  # a fault of the simulator must not stop the bank: park the file, say why
                traceback.print_exc()
                raise Rejection(
                    f"シミュレータの内部エラー: {exc!r}", f"internal error of the simulator: {exc!r}"
                ) from exc
        except Rejection as why:
            target = self._archive("rejected", transfer_id, path)
            write_atomic(
                target.with_name(target.name + ".reason.txt"),
                f"{why.message_ja}\n{why.message_en}\n".encode(),
            )
            log(
                f"口座振替請求 {path.name} を受け付けません: {why.message_ja}",
                f"debit request {path.name} rejected: {why.message_en}",
            )
            return None
        stem = self._result_stem(path)
        out = self.spool / "outbox" / reply / f"{stem}.dat"
        write_atomic(out, result.raw)
        self.state.bank_file_ids.append(stem)
        self.state.requests[digest] = {"transfer_id": transfer_id, "name": path.name, "result": f"{reply}/{out.name}"}
        self.save()
        self._archive("processed", transfer_id, path)
        mix = ", ".join(f"{code}:{count:,}" for code, count in result.codes.items())
        log(
            f"口座振替 {transfer_id} {path.name} → {reply}/{out.name}: {result.records:,} 件 "
            f"(振替済 {result.transferred:,} 件 {result.transferred_amount:,} 円, "
            f"振替不能 {result.failed:,} 件 {result.failed_amount:,} 円; 結果コード {mix}) "
            f"{time.perf_counter() - started:.1f} 秒",
            f"debit {transfer_id} {path.name} → {reply}/{out.name}: {result.records:,} records "
            f"({result.transferred:,} transferred {result.transferred_amount:,} yen, "
            f"{result.failed:,} failed {result.failed_amount:,} yen; codes {mix}) "
            f"{time.perf_counter() - started:.1f} s",
        )
        return out

    def _tidy_sidecars(self) -> None:
        """A sidecar whose file was answered already (it came late) joins it in the archive."""
        inbox = self.spool / "inbox"
        for sidecar in sorted(inbox.glob("*/*.json")) if inbox.is_dir() else []:
            if sidecar.name.startswith(".") or sidecar.with_suffix("").exists():
                continue
            with contextlib.suppress(OSError):
                if time.time() - sidecar.stat().st_mtime > SIDECAR_GRACE_SECONDS:
                    _move(sidecar, self.spool / "processed" / sidecar.parent.name)

    def serve_inbox(self, stop: threading.Event | None = None) -> int:
        self._tidy_sidecars()
        count = 0
        for transfer_id, path in list(self.requests()):
            if stop is not None and stop.is_set():
                break
            self.answer(transfer_id, path)
            count += 1
        return count

    def round(self) -> None:
        self.produce()
        self.serve_inbox()
