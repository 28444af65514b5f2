"""Japanese names of the operation log's actions and outcomes, for the auditor's page.

An action missing here is shown by its code. A part of the hub that logs actions of its own adds
their names in its ``AppConfig.ready`` (``labels.ACTION_LABELS.setdefault(code, label)``).
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "login": "ログイン (パスワード)",
    "second_factor": "第2要素の確認",
    "logout": "ログアウト",
    "login_failed": "ログイン失敗",
    "lockout": "アカウントのロック",
    "account_unlock": "ロック解除",
    "address_lockout": "接続元アドレスの一時制限 (ログイン失敗の多発)",
    "session_superseded": "別端末のログインによるセッション終了",
    "terminal_denied": "許可されていない端末",
    "reauth": "再認証",
    "step_up": "第2要素の再確認 (高額・久しぶりの承認の前)",
    "password_change": "パスワードの変更",
    "password_reset": "パスワードの再設定",
    "factor_add": "認証要素の追加",
    "factor_enrol": "認証要素の登録",
    "factor_remove": "認証要素の削除",
    "factor_reset": "認証要素のリセット",
    "factor_recovery_codes": "回復コードの発行",
    "view": "画面の閲覧",
    "request": "画面からの操作 (拒否・エラー)",
    "account_change": "利用者・課・業務の変更",
    "role_change": "役割の変更",
    "admin_add": "システム管理: 追加",
    "admin_change": "システム管理: 変更",
    "admin_delete": "システム管理: 削除",
    "api_view": "API 閲覧",
    "api_auth_failure": "API 認証失敗",
    "api_token_create": "API トークン発行",
    "api_token_revoke": "API トークン失効",
    "audit_verify": "操作ログの検証",
    "audit_export": "操作ログの出力",
    # signed checkpoints of the log's head (kokin.audit.checkpoints)
    "audit_checkpoint": "操作ログのチェックポイント (控えの作成)",
    "audit_checkpoint_start": "チェックポイントファイルの開始",
    # retention (kokin.audit.archiving)
    "log_archive": "操作ログのアーカイブ (保存期間の満了)",
    "audit_verify_archive": "操作ログのアーカイブの検証",
}

OUTCOME_LABELS: dict[str, str] = {
    "success": "成功",
    "failure": "失敗",
    "denied": "拒否",
    "error": "エラー",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def outcome_label(code: str) -> str:
    return OUTCOME_LABELS.get(code, code)


#: the actors that are no person (:mod:`kokin.audit.actor`, the hub's own services)
SYSTEM_ACTORS: dict[str, str] = {"system": "システム (自動処理)", "kokin": "システム (自動処理)", "": "(未ログイン)"}


def actor_label(name: str) -> str:
    """Who an actor name is, in words: ``bank:<account>`` is a bank system account, ``os:<account>``
    the operating-system account that ran a ``kokin`` command; an operator's user ID stays as it is."""
    if name in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[name]
    kind, _, rest = name.partition(":")
    if rest and kind == "bank":
        return f"金融機関「{rest}」"
    if rest and kind == "os":
        return f"コマンド (OS アカウント「{rest}」)"
    return name


#: what the operation log's ``object`` names, by its prefix (``file:<id>``, ``user:<username>``, ...)
OBJECT_KINDS: dict[str, str] = {
    "file": "ファイル",
    "user": "利用者",
    "department": "課",
    "business": "業務",
    "certificate": "消去証明書",
    "terminal": "情報処理機器",
    "register": "届出台帳",
    "mailbox": "受け渡し箱",
    "blob": "保管ファイル",
    "handling_rules": "取扱規程",
    "responsible_person": "個人情報保護管理責任者",
    "incident": "インシデント",
    "bank": "金融機関システムアカウント",
    "upload": "金融機関からの受信",
    "transfer": "転送ファイルID",
    "transfer_id": "転送ファイルID",
    "course": "研修",
    "address": "接続元アドレス",
}

#: the kinds inside an object's name (``register:<kind>:<number>``)
OBJECT_PARTS: dict[str, str] = {"roster": "従事者名簿", "equipment": "情報処理機器届出台帳"}


def object_label(name: str) -> str:
    """What an entry acted on, in words: ``file:<id>`` is 「ファイル <id>」, a path is a screen; an
    object of a kind not listed here stays as it is."""
    if name.startswith("/"):
        return f"画面 {name}"
    kind, _, rest = name.partition(":")
    if rest and kind in OBJECT_KINDS:
        part, _, number = rest.partition(":")
        if number and part in OBJECT_PARTS:  # register:roster:1
            return f"{OBJECT_KINDS[kind]} ({OBJECT_PARTS[part]}) {number}"
        return f"{OBJECT_KINDS[kind]} {rest}"
    return name
