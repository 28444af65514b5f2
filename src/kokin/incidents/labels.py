"""Japanese names of the detection rules and of the incidents' operation-log actions.

A part of the hub that raises incidents under a rule of its own adds the rule's name here in its
``AppConfig.ready`` (``labels.RULE_LABELS.setdefault(code, label)``); a rule missing here is shown by
its code.
"""

from __future__ import annotations

RULE_LABELS: dict[str, str] = {
    "login_defender": "ログイン失敗の多発 (アカウント・接続元ごと)",
    "mass_download": "大量のダウンロード (業務の通常の水準との比較)",
    "malware": "マルウェアの検出",
    "terminal": "許可されていない端末からの接続",
    "working_hours": "執務時間外の利用",
    "rare_role": "普段は行わない役割による取得・出力",
    "audit_verify": "操作ログの検証の失敗",
    "vault": "保管庫・鍵の誤り",
    "retention": "保存期間によらない消去",
    "manual": "手動の登録",
}

ACTION_LABELS: dict[str, str] = {
    "incident_open": "インシデントの登録 (検知)",
    "incident_repeat": "インシデントの再検知 (根拠の追加)",
    "incident_advance": "インシデントの状態の変更",
    "incident_note": "インシデントの経過の記入",
    "incident_mail": "インシデントの通知メール",
    "incident_report_save": "漏えい等報告の案の保存",
    "incident_report_export": "漏えい等報告の案の出力",
    "defender_ban": "ログインの一時停止 (失敗の多発)",
    "defender_refused": "一時停止中のログインの拒否",
    "incident_expire": "インシデントの保存期間の満了 (アーカイブして削除)",
}


def rule_label(code: str) -> str:
    return RULE_LABELS.get(code, code)
