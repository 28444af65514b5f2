"""Japanese names of the registers' operation-log actions (added to the auditor's page in ``ready``)."""

from __future__ import annotations

ACTION_LABELS = {
    "register_version": "届出台帳 (従事者名簿・情報処理機器届出台帳) の新しい版",
    "register_signoff": "届出台帳の版の確認 (承認)",
    "register_export": "届出台帳の出力 (PDF・CSV)",
    "responsible_person": "個人情報保護管理責任者の登録・変更",
}
