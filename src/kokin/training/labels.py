"""Japanese names of the training app's operation-log actions (for the auditor's page)."""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "training_acknowledge": "取扱規程の確認 (遵守の誓約)",
    "training_record": "研修の受講の記録",
    "training_report": "研修実施報告の出力",
}
