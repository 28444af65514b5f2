"""The bank simulator (金融機関シミュレータ): the designated bank (指定金融機関) and its collecting banks
(収納機関) on one machine, so the whole service runs without a bank.

It shares a spool folder with the bank agent (:mod:`kokin.bank.agent`):

* **collection data** (収入済データ): for each simulated business day (or month, ``scale = "month"``)
  it writes each configured kind's file to ``outbox/<TRANSFER_ID>/<YYYYMMDD>-<TRANSFER_ID>-<n>.dat``,
  built from a synthetic population of payers and their assessments (:mod:`kokin.bank.sim_collect`);
  the agent uploads it, the file name's stem being the bank's file ID;
* **direct debit** (口座振替): each request the agent delivers into ``inbox/<TRANSFER_ID>/`` is debited
  record by record against the payers' accounts (:mod:`kokin.bank.sim_debit`); the result goes to
  ``outbox/<reply>/<request stem>-result.dat`` and the request to ``processed/<TRANSFER_ID>/`` (the
  bank's archive); a file that is not a debit request goes to ``rejected/<TRANSFER_ID>/`` with a
  ``.reason.txt``.

Same seed, same config and same inputs give byte-identical files. The simulated date, file numbers,
balances and answered requests are kept in ``<spool>/.simulator/state.json`` so a restart carries on
without reusing a bank file ID. The config is documented in ``docs/bank-simulator.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
import tomllib
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from kokin.bank.sim_collect import COLLECTION_FORMATS, Collections, KindSpec, day_at, day_index, items_of
from kokin.bank.sim_debit import Rejection, debit
from kokin.bank.spool import write_atomic

STATE_VERSION = 1
SIDECAR_GRACE_SECONDS = 60  # the agent may write a sidecar just after its file
TRANSFER_ID = re.compile(r"^[A-Z0-9_-]{1,64}$")
SCALES = ("day", "month")
TOP_KEYS = {
    "spool",
    "scale",
    "poll_seconds",
    "collection_every_seconds",
    "max_records_per_file",
    "min_records_per_file",
    "start_date",
    "kind",
}
KIND_KEYS = {"transfer_id", "format", "yearly_volume", "label", "direction", "reply", "items", "receipts"}


class ConfigError(ValueError):
    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")


# -- config --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DebitSpec:
    """A debit-request mailbox the bank answers: requests arrive in ``inbox/<transfer_id>/``."""

    transfer_id: str
    reply: str | None
    label: str = ""


@dataclass(frozen=True)
class Config:
    path: Path
    spool: Path
    scale: str = "day"
    poll_seconds: float = 2.0
    collection_every_seconds: float = 0.0
    max_records_per_file: int | None = None
    min_records_per_file: int = 1
    start_date: dt.date | None = None
    collections: tuple[KindSpec, ...] = ()
    debits: tuple[DebitSpec, ...] = ()


def _number(table: Mapping[str, Any], key: str, default: float, *, minimum: float = 0) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"{key} は {minimum} 以上の数です", f"{key} must be a number ≥ {minimum}")
    return float(value)


def load_config(path: Path) -> Config:
    """Read and check the TOML config; relative paths are relative to the config file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"設定ファイルを読めません: {exc}", f"cannot read the config: {exc}") from exc
    unknown = set(data) - TOP_KEYS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ConfigError(f"不明な設定項目: {names}", f"unknown settings: {names}")
    if not isinstance(data.get("spool"), str):
        raise ConfigError("spool (スプールフォルダ) は必須です", "spool (the spool folder) is required")
    spool = Path(data["spool"])
    if not spool.is_absolute():
        spool = path.parent / spool
    scale = data.get("scale", "day")
    if scale not in SCALES:
        raise ConfigError("scale は day か month です", "scale must be day or month")
    cap = data.get("max_records_per_file")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise ConfigError("max_records_per_file は 1 以上の整数です", "max_records_per_file must be an integer ≥ 1")
    start = data.get("start_date")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError as exc:
            raise ConfigError("start_date は YYYY-MM-DD です", "start_date must be YYYY-MM-DD") from exc
    if start is not None and not isinstance(start, dt.date):
        raise ConfigError("start_date は YYYY-MM-DD です", "start_date must be YYYY-MM-DD")
    collections: list[KindSpec] = []
    debits: list[DebitSpec] = []
    seen: set[str] = set()
    for n, kind in enumerate(data.get("kind", []), 1):
        collection, debit_spec = _kind(kind, n)
        tid = collection.transfer_id if collection else debit_spec.transfer_id  # type: ignore[union-attr]
        if tid in seen:
            raise ConfigError(f"転送ファイルID {tid} が重複しています", f"transfer ID {tid} appears twice")
        seen.add(tid)
        if collection is not None:
            collections.append(collection)
        if debit_spec is not None:
            debits.append(debit_spec)
    return Config(
        path=path,
        spool=spool,
        scale=scale,
        poll_seconds=max(0.05, _number(data, "poll_seconds", 2.0)),
        collection_every_seconds=_number(data, "collection_every_seconds", 0.0),
        max_records_per_file=cap,
        min_records_per_file=int(_number(data, "min_records_per_file", 1)),
        start_date=start,
        collections=tuple(collections),
        debits=tuple(debits),
    )


def _kind(kind: Any, n: int) -> tuple[KindSpec | None, DebitSpec | None]:
    where_ja, where_en = f"[[kind]] {n} 番目", f"[[kind]] number {n}"
    if not isinstance(kind, dict):
        raise ConfigError(f"{where_ja}: 表ではありません", f"{where_en}: not a table")
    unknown = set(kind) - KIND_KEYS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ConfigError(f"{where_ja}: 不明な項目 {names}", f"{where_en}: unknown keys {names}")
    tid = kind.get("transfer_id")
    if not isinstance(tid, str) or not TRANSFER_ID.match(tid):
        raise ConfigError(
            f"{where_ja}: transfer_id は英大文字・数字・-・_ です", f"{where_en}: transfer_id must be A-Z, 0-9, - or _"
        )
    fmt = kind.get("format")
    label = str(kind.get("label", ""))
    if fmt == "zengin-debit":
        if kind.get("direction", "outbound") != "outbound":
            raise ConfigError(
                f"{tid}: 口座振替の結果の送り先は請求の reply で指定します",
                f"{tid}: a debit result mailbox is named by its request's reply",
            )
        reply = kind.get("reply")
        if reply is not None and (not isinstance(reply, str) or not TRANSFER_ID.match(reply)):
            raise ConfigError(f"{tid}: reply が転送ファイルIDではありません", f"{tid}: reply is not a transfer ID")
        return None, DebitSpec(tid, reply, label)
    if fmt not in COLLECTION_FORMATS:
        known = ", ".join(("zengin-debit", *COLLECTION_FORMATS))
        raise ConfigError(f"{tid}: 形式 {fmt!r} は扱えません ({known})", f"{tid}: format {fmt!r} is not one of {known}")
    if kind.get("direction", "inbound") != "inbound":
        raise ConfigError(f"{tid}: 収入済データは inbound です", f"{tid}: collection data is inbound")
    volume = kind.get("yearly_volume")
    if isinstance(volume, bool) or not isinstance(volume, int) or volume < 0:
        raise ConfigError(f"{tid}: yearly_volume は 0 以上の整数です", f"{tid}: yearly_volume must be an integer ≥ 0")
    codes = kind.get("items", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ConfigError(f"{tid}: items は科目コードの配列です", f"{tid}: items must be a list of item codes")
    receipts = kind.get("receipts")
    spec = KindSpec(tid, fmt, volume, label, tuple(codes), receipts if isinstance(receipts, str) else None)
    if not items_of(spec):
        raise ConfigError(f"{tid}: この形式の科目がありません", f"{tid}: none of the items fits the format")
    return spec, None


# -- spool and state -----------------------------------------------------------------------------------


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


@dataclass
class State:
    """What the simulator remembers between runs (``<spool>/.simulator/state.json``)."""

    seed: int
    first: int  # the current period: business-day indices first…last
    last: int
    produced: bool = False
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # transfer ID → {"date", "n"}
    pulled: dict[str, dict[str, str]] = field(default_factory=dict)  # transfer ID → payment key → its day
    accounts: dict[str, list[int]] = field(default_factory=dict)
    requests: dict[str, dict[str, str]] = field(default_factory=dict)  # request SHA-256 → what answered it
    bank_file_ids: list[str] = field(default_factory=list)  # result stems used so far

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "seed": self.seed,
            "period": {"first": day_at(self.first).isoformat(), "last": day_at(self.last).isoformat()},
            "produced": self.produced,
            "files": self.files,
            "pulled": self.pulled,
            "requests": self.requests,
            "bank_file_ids": self.bank_file_ids,
            "accounts": self.accounts,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        if data.get("version") != STATE_VERSION:
            raise ConfigError("状態ファイルの版が違います", "the state file has another version")
        period = data["period"]
        return cls(
            seed=int(data["seed"]),
            first=day_index(dt.date.fromisoformat(period["first"])),
            last=day_index(dt.date.fromisoformat(period["last"])),
            produced=bool(data.get("produced")),
            files=dict(data.get("files", {})),
            pulled={k: dict(v) for k, v in data.get("pulled", {}).items()},
            accounts={k: list(v) for k, v in data.get("accounts", {}).items()},
            requests=dict(data.get("requests", {})),
            bank_file_ids=list(data.get("bank_file_ids", [])),
        )


def _add_month(day: dt.date) -> dt.date:
    year, month = (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)
    for d in (day.day, 30, 29, 28):
        with contextlib.suppress(ValueError):
            return dt.date(year, month, d)
    raise AssertionError(day)  # pragma: no cover


def _sub_month(day: dt.date) -> dt.date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    for d in (day.day, 30, 29, 28):
        with contextlib.suppress(ValueError):
            return dt.date(year, month, d)
    raise AssertionError(day)  # pragma: no cover


def first_period(start: dt.date, scale: str) -> tuple[int, int]:
    """The period that ends on the last business day on or before ``start``."""
    last = day_index(start)
    if day_at(last) > start:
        last -= 1
    if scale == "day":
        return last, last
    return day_index(_sub_month(day_at(last)) + dt.timedelta(days=1)), last


def next_period(first: int, last: int, scale: str) -> tuple[int, int]:
    """The period after ``first``…``last``: the next business day, or the month up to the same day."""
    if scale == "day":
        return last + 1, last + 1
    end = day_index(_add_month(day_at(last)))
    if day_at(end) > _add_month(day_at(last)):
        end -= 1
    return last + 1, max(end, last + 1)


# -- the simulator -------------------------------------------------------------------------------------


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
                f"{why.ja}\n{why.en}\n".encode(),
            )
            log(f"口座振替請求 {path.name} を受け付けません: {why.ja}", f"debit request {path.name} rejected: {why.en}")
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


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the event; the loop finishes the action under way and exits."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _lock(spool: Path) -> Iterator[None]:
    """One simulator per spool: two would answer the same request twice."""
    import fcntl

    folder = spool / ".simulator"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(
                f"別のシミュレータがスプール {spool} を使っています", f"another simulator is using the spool {spool}"
            ) from exc
        yield


def main(config_path: Path, *, seed: int = 1, once: bool = False, advance: bool = False) -> int:
    """Run the simulator; 0 on a clean stop (``--once`` done, SIGINT or SIGTERM), 1 on a config error."""
    try:
        config = load_config(Path(config_path))
        for sub in ("outbox", "inbox", "processed", "rejected"):
            (config.spool / sub).mkdir(parents=True, exist_ok=True)
        with _lock(config.spool), _stop_on_signals() as stop:
            sim = Simulator(config, seed)
            log(
                f"金融機関シミュレータ開始: スプール {config.spool}, 乱数種 {seed}, 模擬日 {day_at(sim.state.last)}, "
                f"収入済データ {len(sim.collections.kinds)} 種, 口座振替 {len(sim.debits)} 種",
                f"bank simulator started: spool {config.spool}, seed {seed}, simulated day {day_at(sim.state.last)}, "
                f"{len(sim.collections.kinds)} collection kinds, {len(sim.debits)} debit kinds",
            )
            if advance:
                sim.advance()
            sim.round()
            if once:
                log("1 回分を処理して終了します", "one round done, exiting")
                return 0
            every = config.collection_every_seconds
            next_day = time.monotonic() + every if every > 0 else None
            while not stop.is_set():
                wait = config.poll_seconds
                if next_day is not None:
                    wait = max(0.0, min(wait, next_day - time.monotonic()))
                if stop.wait(wait):
                    break
                if next_day is not None and time.monotonic() >= next_day:
                    sim.advance()
                    sim.produce()
                    # counted from now: a day that took longer than the interval does not start a catch-up run
                    next_day = time.monotonic() + every
                sim.serve_inbox(stop)
            log("停止の合図を受けました。終了します", "stop signal received, exiting")
            return 0
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return 1
