"""The operation log's 詳細 (``AuditEntry.detail``, JSON) as Japanese sentences, for the auditor's page.

Each action may have a phrase of its own (:data:`PHRASES`); any other detail is written as
「項目名: 値」 pairs with the Japanese names of :data:`KEY_LABELS` (a key missing there is shown as it
is). A phrase that does not fit the stored detail (an older entry with other keys) falls back to the
pairs, so a page never hides what the log holds. The CSV export keeps the JSON as it is.

A part of the hub that logs actions of its own adds their phrases and key names in its
``AppConfig.ready`` (``details.PHRASES.setdefault(code, phrase)``), as it does for the action labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Detail = Mapping[str, Any]
Phrase = Callable[[Detail], str]

#: Japanese names of the detail's keys, for the 「項目名: 値」 fallback
KEY_LABELS: dict[str, str] = {
    "status": "応答",
    "step": "段階",
    "factor": "認証要素",
    "device": "機器",
    "reason": "理由",
    "failures": "失敗回数",
    "minutes": "制限時間 (分)",
    "model": "対象",
    "op": "操作",
    "changes": "変更",
    "fields": "登録内容",
    "name": "名前",
    "title": "役職・題名",
    "since": "開始日",
    "user": "利用者",
    "version": "版",
    "kind": "種別",
    "number": "番号",
    "change_count": "変更件数",
    "rows": "行数",
    "encoding": "文字コード",
    "escaped": "数式の無効化",
    "method": "方法",
    "backend": "保管先",
    "records": "件数",
    "count": "件数",
    "amount": "金額",
    "size": "サイズ (バイト)",
    "sha256": "SHA-256",
    "path": "パス",
    "role": "役割",
    "business": "業務",
    "department": "課",
    "username": "利用者ID",
    "token": "トークン",
    "expires": "有効期限",
    "address": "アドレス",
    "ip": "接続元IP",
    "file": "ファイル",
    "format": "形式",
    "due": "期限",
    "checked": "確認件数",
    "seq": "連番",
    "from": "変更前",
    "to": "変更後",
}

#: Japanese words for values that are codes (a value missing here is shown as it is)
VALUE_LABELS: dict[str, str] = {
    "password": "パスワード",
    "totp": "認証アプリ (TOTP)",
    "webauthn": "セキュリティキー (パスキー)",
    "recovery": "回復コード",
    "static": "回復コード",
    "locked_out": "ロック中",
    "create": "登録",
    "update": "変更",
    "delete": "削除",
    "crypto-shredding": "暗号消去 (鍵の破棄)",
    "user": "利用者",
    "cp932": "Shift_JIS",
    "utf-8-sig": "UTF-8 (BOM付き)",
}

#: the phrase of each action, registered below and by the hub's other parts
PHRASES: dict[str, Phrase] = {}


def value_text(value: Any) -> str:
    """One detail value in words: はい/いいえ, なし, lists joined by 「、」, nested pairs in brackets."""
    if value is None:
        return "なし"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return "、".join(value_text(v) for v in value) if value else "なし"
    if isinstance(value, dict):
        return "(" + "、".join(pairs(value)) + ")" if value else "なし"
    text = str(value)
    return VALUE_LABELS.get(text, text) if text else "なし"


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key)


def pairs(detail: Detail) -> list[str]:
    return [f"{key_label(str(k))}: {value_text(v)}" for k, v in detail.items()]


def generic(detail: Detail) -> str:
    """「項目名: 値」 pairs, joined by 「 / 」."""
    return " / ".join(pairs(detail))


def describe(action: str, detail: Detail | None) -> str:
    """The detail of one log entry as Japanese text: the action's phrase, else the pairs."""
    if not detail:
        return ""
    phrase = PHRASES.get(action)
    if phrase is not None:
        try:
            return phrase(detail)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    return generic(detail)


def _also(detail: Detail, used: set[str]) -> str:
    """The keys a phrase did not use, as pairs after it (nothing of the detail is left out)."""
    rest = {k: v for k, v in detail.items() if k not in used}
    return f" ({generic(rest)})" if rest else ""


def _login(d: Detail) -> str:
    if d["step"] == "password":
        return "パスワードを確認しました (続いて第2要素)。" + _also(d, {"step"})
    return generic(d)


def _second_factor(d: Detail) -> str:
    device = f"「{d['device']}」" if d.get("device") else ""
    return f"{value_text(d['factor'])}{device}で本人を確認しました。" + _also(d, {"factor", "device"})


def _login_failed(d: Detail) -> str:
    if d.get("reason") == "locked_out":
        return "ロック中の ID のため、パスワードを確かめずに拒否しました。" + _also(d, {"reason"})
    return generic(d)


def _lockout(d: Detail) -> str:
    text = f"ログインに {value_text(d['failures'])} 回続けて失敗したため、ID をロックしました"
    if "minutes" in d:
        text += f" ({value_text(d['minutes'])} 分間)"
    return text + "。" + _also(d, {"failures", "minutes"})


#: what an HTTP status meant for the operator (``view`` and ``request``)
STATUS_WORDS: dict[int, str] = {
    200: "表示しました",
    302: "次の画面へ移りました",
    400: "入力に誤りがあり受け付けませんでした",
    403: "権限がないため拒否しました",
    404: "該当するページがありませんでした",
    405: "この方法では受け付けませんでした",
    413: "大きすぎるため受け付けませんでした",
    429: "回数の制限により拒否しました",
    500: "エラーになりました",
    503: "一時的に利用できませんでした",
}


def _status(code: Any) -> str:
    status = int(code)
    word = STATUS_WORDS.get(status) or ("エラーになりました" if status >= 500 else "受け付けませんでした")
    return f"{word} (応答 {status})"


def _view(d: Detail) -> str:
    if int(d["status"]) == 200:
        return "画面を表示しました (応答 200)。" + _also(d, {"status"})
    return f"画面の表示: {_status(d['status'])}。" + _also(d, {"status"})


def _request(d: Detail) -> str:
    method = f" ({d['method']})" if d.get("method") else ""
    return f"画面からの操作{method}: {_status(d['status'])}。" + _also(d, {"status", "method"})


def _vault_store(d: Detail) -> str:
    if d.get("reason") == "sha256_mismatch":
        return "保管しようとしたファイルの SHA-256 が一致しないため、保管しませんでした。" + _also(d, {"reason"})
    return f"ファイルを暗号化して保管しました ({value_text(d['size'])} バイト、保管先 {d['backend']})。" + _also(
        d, {"size", "backend"}
    )


def _vault_export(d: Detail) -> str:
    password = "自動生成" if d.get("password") == "generated" else "利用者が入力"
    return (
        f"パスワード付き ZIP (AES-256) を作成しました: {value_text(d['members'])} ファイル、"
        f"{value_text(d['size'])} バイト、パスワードは{password}。"
    ) + _also(d, {"format", "members", "size", "password"})


#: what a changed row is (``model`` of account, role and terminal changes)
MODEL_LABELS: dict[str, str] = {
    "user": "利用者",
    "department": "課",
    "business": "業務",
    "roleassignment": "役割",
    "terminal": "情報処理機器",
}

#: what was done to the row (``op``)
OP_LABELS: dict[str, str] = {"create": "登録", "update": "変更", "delete": "削除", "add": "付与", "remove": "取消し"}


def _changed(name: str, change: Any) -> str:
    if isinstance(change, list | tuple) and len(change) == 2:
        return f"{key_label(name)} {value_text(change[0])} → {value_text(change[1])}"
    return f"{key_label(name)} を変更"  # a secret: only that it changed is logged


def _change(d: Detail) -> str:
    what = MODEL_LABELS.get(str(d["model"]), str(d["model"]))
    op = OP_LABELS.get(str(d["op"]), str(d["op"]))
    used = {"op", "model"}
    text = f"{what}を{op}しました"
    if "role" in d and "business" in d:
        text = f"業務「{value_text(d['business'])}」の役割「{value_text(d['role'])}」を{op}しました"
        used |= {"role", "business"}
    if "changes" in d:
        text += ": " + "、".join(_changed(str(k), v) for k, v in d["changes"].items())
        used.add("changes")
    elif "fields" in d:
        text += ": " + generic(d["fields"]) if d["fields"] else ""
        used.add("fields")
    return text + "。" + _also(d, used)


def _audit_export(d: Detail) -> str:
    return f"検索結果 {value_text(d['rows'])} 行を CSV ({value_text(d['encoding'])}) で出力しました。" + _also(
        d, {"rows", "encoding"}
    )


PHRASES.update(
    {
        "login": _login,
        "second_factor": _second_factor,
        "login_failed": _login_failed,
        "lockout": _lockout,
        "view": _view,
        "request": _request,
        "vault_store": _vault_store,
        "vault_export": _vault_export,
        "account_change": _change,
        "role_change": _change,
        "terminal_change": _change,
        "audit_export": _audit_export,
    }
)

#: the keys of changed models' fields (``account_change``) that would otherwise show in English
KEY_LABELS.update(
    {
        "must_change_password": "初期パスワードの変更が必要",
        "is_active": "有効",
        "display_name": "氏名",
        "email": "メールアドレス",
        "place": "設置場所",
        "cert_fingerprint": "証明書の指紋",
        "owner": "管理者",
        "registered_at": "登録日時",
        "retired_at": "廃止日時",
        "terminal": "情報処理機器",
    }
)
VALUE_LABELS.update({"terminal": "端末", "server": "サーバ"})
