"""Japanese names of how a transfer over the bank link ended (``BankTransfer.outcome``), for the
transfer history; an outcome missing here is shown by its code."""

from __future__ import annotations

TRANSFER_OUTCOMES: dict[str, str] = {
    "collected": "取得済 (金融機関へ送信)",
    "stored": "受信済 (保管)",
    "rejected": "受付拒否",
    "failed": "失敗",
    "failure": "失敗",
    "cancelled": "中止",
    "incomplete": "受信中",
    "denied": "拒否",
}


def transfer_outcome_label(code: str) -> str:
    return TRANSFER_OUTCOMES.get(code, code)
