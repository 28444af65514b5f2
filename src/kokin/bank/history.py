"""The agent's transfer history (転送履歴), one row per transfer in ``.agent/history.sqlite3``.

SQLite from the standard library: the agent is one process per spool (it holds a lock), and the history
must survive a kill, which SQLite's journal gives for free.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from kokin.bank.spool import open_private, private_dir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    direction TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    hub_file_id TEXT,
    bank_file_id TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT,
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
)
"""

#: outcomes, with the words the table shows
OUTCOMES = {
    "stored": "登録済 / stored",
    "duplicate": "送信済 (再送を認識) / already stored",
    "rejected": "拒否 / rejected",
    "received": "受信済 / received",
    "error": "失敗 / error",
    "interrupted": "中断 / interrupted",
}
DIRECTIONS = {"send": "配信", "receive": "集信"}


@dataclass
class TransferRecord:
    direction: str  # send | receive
    transfer_id: str
    file_name: str
    hub_file_id: str | None
    bank_file_id: str | None
    bytes: int
    sha256: str | None
    started_at: str  # ISO 8601 with offset
    duration_ms: int
    retries: int
    outcome: str
    reason: str = ""
    id: int | None = None


class History:
    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        # made 0600 before SQLite opens it: its journal files take the database file's mode
        os.close(open_private(path))
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute(_SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def add(self, record: TransferRecord) -> int:
        values = asdict(record)
        values.pop("id")
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with self.db:
            cursor = self.db.execute(f"INSERT INTO transfers ({columns}) VALUES ({marks})", values)
        record.id = int(cursor.lastrowid or 0)
        return record.id

    def latest(self, limit: int = 50) -> list[TransferRecord]:
        """The newest ``limit`` transfers, newest first."""
        self.db.row_factory = sqlite3.Row
        rows = self.db.execute("SELECT * FROM transfers ORDER BY id DESC LIMIT ?", (max(0, limit),)).fetchall()
        return [TransferRecord(**dict(row)) for row in rows]


def _width(text: str) -> int:
    # full-width characters take two terminal columns: count them so the table's columns line up
    return sum(2 if unicodedata.east_asian_width(ch) in ("F", "W") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _size(n: int) -> str:
    return f"{n:,}"


HEADERS = (
    ("id", "番号"),
    ("started_at", "開始日時"),
    ("direction", "方向"),
    ("transfer_id", "転送ファイルID"),
    ("file_name", "ファイル名"),
    ("hub_file_id", "ハブファイルID"),
    ("bank_file_id", "金融機関ファイルID"),
    ("bytes", "バイト数"),
    ("duration_ms", "所要(ms)"),
    ("retries", "再試行"),
    ("outcome", "結果"),
    ("sha256", "SHA-256"),
    ("reason", "理由"),
)


def format_table(records: Sequence[TransferRecord]) -> str:
    """The history as a text table with Japanese headers (SHA-256 shortened to 12 digits)."""
    rows: list[list[str]] = []
    for r in records:
        rows.append(
            [
                str(r.id or ""),
                r.started_at[:19].replace("T", " "),
                DIRECTIONS.get(r.direction, r.direction),
                r.transfer_id,
                r.file_name,
                r.hub_file_id or "",
                r.bank_file_id or "",
                _size(r.bytes),
                _size(r.duration_ms),
                str(r.retries),
                OUTCOMES.get(r.outcome, r.outcome).split(" / ")[0],
                (r.sha256 or "")[:12],
                r.reason.replace("\n", " ")[:80],
            ]
        )
    headers = [ja for _, ja in HEADERS]
    widths = [max([_width(h)] + [_width(row[i]) for row in rows]) for i, h in enumerate(headers)]
    numeric = {"bytes", "duration_ms", "retries", "id"}
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = []
        for (name, _), cell, w in zip(HEADERS, row, widths, strict=True):
            cells.append(" " * (w - _width(cell)) + cell if name in numeric else _pad(cell, w))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def to_json(records: Sequence[TransferRecord]) -> list[dict[str, Any]]:
    return [asdict(r) for r in records]


def print_history(config_path: Path, *, limit: int = 50, as_json: bool = False, out: TextIO | None = None) -> None:
    """``kokin bank history``: the spool's transfer history, newest first, as a table or JSON."""
    from kokin.bank.config import load_config
    from kokin.bank.errors import ConfigError
    from kokin.bank.spool import Spool

    out = out or sys.stdout
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"設定の誤り / configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    db_path = Spool(config.spool_root).history_db
    records: list[TransferRecord] = []
    if db_path.exists():
        history = History(db_path)
        try:
            records = history.latest(limit)
        finally:
            history.close()
    if as_json:
        out.write(json.dumps(to_json(records), ensure_ascii=False, indent=2) + "\n")
    elif not records:
        out.write("転送履歴はありません / no transfers yet\n")
    else:
        out.write(format_table(records) + "\n")
