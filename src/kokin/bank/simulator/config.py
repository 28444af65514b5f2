"""The bank simulator's TOML config: the spool, the scale, and the ``[[kind]]`` mailboxes it fills or answers."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kokin.bank.errors import ConfigError as ConfigError
from kokin.bank.simulator.population import COLLECTION_FORMATS, KindSpec, items_of

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
