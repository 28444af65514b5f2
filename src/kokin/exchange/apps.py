from django.apps import AppConfig

#: the operation log's Japanese names for the exchange's actions
ACTION_LABELS = {
    "exchange_upload": "ファイルの送信 (アップロード)",
    "exchange_place": "受信ファイルの配置",
    "exchange_approve": "送信ファイルの承認",
    "exchange_withdraw": "送信ファイルの取下げ・差戻し",
    "approval_withdraw": "承認の取消し (金融機関の取得前)",
    "exchange_collect": "金融機関による送信ファイルの取得",
    "exchange_download": "ファイルの取得 (ダウンロード)",
    "exchange_inspect": "検収",
    "exchange_erase": "ファイルの消去 (消去証明書の発行)",
    "exchange_certificate": "消去証明書の取得",
    "exchange_view_failures": "振替不能の明細の閲覧",
    "exchange_notify": "受信の通知メール",
    "exchange_notify_approval": "承認待ちの通知メール",
    "exchange_policy": "保存方針の変更",
    "storage_low": "保存領域の不足",
    "exchange_rescan": "保管中のファイルの再検査 (ウイルス)",
}


class ExchangeConfig(AppConfig):
    name = "kokin.exchange"
    label = "exchange"
    verbose_name = "ファイル交換"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import details, labels
        from kokin.exchange import labels as exchange_labels

        for code, label in ACTION_LABELS.items():
            labels.ACTION_LABELS.setdefault(code, label)
        for code, phrase in exchange_labels.DETAIL_PHRASES.items():
            details.PHRASES.setdefault(code, phrase)
        for key, name in exchange_labels.DETAIL_KEYS.items():
            details.KEY_LABELS.setdefault(key, name)
