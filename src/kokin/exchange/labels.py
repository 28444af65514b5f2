"""Japanese names for the codes an exchange page would otherwise show as they are stored: a file's
format (``mpn-receipt``) and what a download handed over (``zip``), and the operation log's 詳細 of
the exchange's actions as sentences. An unknown code is shown as it is, so a page never hides what
the database holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kokin.exchange.states import State
from kokin.formats import FORMATS

#: what :func:`kokin.exchange.services.record_download` calls each download (``what``)
DOWNLOAD_LABELS: dict[str, str] = {
    "original": "元のファイル",
    "csv": "CSV",
    "xlsx": "Excel",
    "failures_csv": "振替不能分のみ (CSV)",
    "failures_xlsx": "振替不能分のみ (Excel)",
    "zip": "パスワード付き ZIP",
}


def format_label(code: str) -> str:
    """The format's Japanese name from its layout, e.g. ``MPN済通収納データ (種別コード61)``."""
    module = FORMATS.get(code)
    return module.LAYOUT.ja if module is not None else code


def download_label(code: str) -> str:
    return DOWNLOAD_LABELS.get(code, code)


# --- the operation log's 詳細 of the exchange's actions (kokin.audit.details) -----------------------

#: Japanese names of the keys the exchange writes into a log entry's detail
DETAIL_KEYS: dict[str, str] = {
    "kind": "データ種別",
    "errors": "エラー",
    "warnings": "警告",
    "scan": "ウイルス検査",
    "mailbox": "受け渡し箱",
    "state": "状態",
    "blob": "保管ID",
    "confirmed": "確認済みの注意",
    "uploaded_by": "送信者",
    "as": "形式",
    "original_sha256": "元のファイルの SHA-256",
    "retention_due": "消去予定",
    "certificate": "消去証明書",
    "certificate_sha256": "消去証明書の SHA-256",
    "scheduled": "定期処理",
    "approved_at": "承認日時",
    "failed": "振替不能",
    "needs": "必要な権限",
    "recipients": "宛先数",
    "sent": "送信数",
    "again": "承認の取消し後の再通知",
    "limit_mb": "上限 (MB)",
    "free_mb": "空き (MB)",
    "margin_mb": "余裕 (MB)",
    "changed": "変更",
}


def _state(code: Any) -> str:
    try:
        return str(State(str(code)).label)
    except ValueError:
        return str(code)


def _yen(value: Any) -> str:
    return f"{int(value):,} 円"


def _count(value: Any) -> str:
    return f"{int(value):,} 件"


def _issues(d: Mapping[str, Any]) -> str:
    return f"エラー {int(d['errors']):,} 件・警告 {int(d['warnings']):,} 件"


def _received(verb: str) -> Callable[[Mapping[str, Any]], str]:
    def phrase(d: Mapping[str, Any]) -> str:
        text = f"{d['kind']}「{d['name']}」({int(d['size']):,} バイト) を{verb}。{_issues(d)}"
        if d.get("state"):
            text += f"、状態は「{_state(d['state'])}」"
        if d.get("reason"):
            text += f"。理由: {d['reason']}"
        return text + "。"

    return phrase


def _approve(d: Mapping[str, Any]) -> str:
    return f"{d['uploaded_by']} が送信した {_count(d['records'])}・{_yen(d['amount'])} を承認しました。"


def _withdraw(d: Mapping[str, Any]) -> str:
    reason = f" 理由: {d['reason']}" if d.get("reason") else ""
    return f"「{_state(d['from'])}」のファイルを取り下げました (差し戻し)。{reason}".rstrip()


def _approval_withdraw(d: Mapping[str, Any]) -> str:
    reason = f" 理由: {d['reason']}" if d.get("reason") else ""
    return f"承認を取り消しました (金融機関の取得前)。{reason}".rstrip()


def _collect(d: Mapping[str, Any]) -> str:
    return f"金融機関が {_count(d['records'])} のファイルを取得しました。"


def _download(d: Mapping[str, Any]) -> str:
    text = f"「{download_label(str(d['as']))}」として取得しました ({int(d['count']):,} 回目)。"
    if d.get("records") is not None:
        text += f" {_count(d['records'])}。"
    return text


def _inspect(d: Mapping[str, Any]) -> str:
    due = d.get("retention_due")
    return "検収しました。" + (f" 消去予定 {str(due)[:10]}。" if due else "")


def _erase(d: Mapping[str, Any]) -> str:
    how = "定期処理 (保存期間の満了)" if d.get("scheduled") else "手動"
    reason = f" 理由: {d['reason']}。" if d.get("reason") else ""
    return f"ファイルを暗号消去し ({how})、消去証明書 {d['certificate']} を発行しました。{reason}"


def _view_failures(d: Mapping[str, Any]) -> str:
    return f"振替不能 {_count(d['failed'])} のうち {_count(d['records'])} を画面に表示しました。"


def _certificate(d: Mapping[str, Any]) -> str:
    return f"ファイル {d['file']} の消去証明書 (PDF) を取得しました。"


def _notify(d: Mapping[str, Any]) -> str:
    return f"受信の通知メールを {int(d['recipients']):,} 通中 {int(d['sent']):,} 通送信しました。"


#: the phrase of each exchange action in the log's 詳細
DETAIL_PHRASES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "exchange_upload": _received("受け付けました"),
    "exchange_place": _received("受信しました"),
    "exchange_approve": _approve,
    "exchange_withdraw": _withdraw,
    "approval_withdraw": _approval_withdraw,
    "exchange_collect": _collect,
    "exchange_download": _download,
    "exchange_inspect": _inspect,
    "exchange_erase": _erase,
    "exchange_view_failures": _view_failures,
    "exchange_certificate": _certificate,
    "exchange_notify": _notify,
}
