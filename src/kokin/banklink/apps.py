from django.apps import AppConfig

#: the operation log's Japanese names for the bank link's actions
ACTION_LABELS = {
    "banklink_auth": "金融機関連携の認証",
    "banklink_list": "金融機関による送信ファイル一覧の取得",
    "banklink_download": "金融機関による送信ファイルのダウンロード",
    "banklink_ack": "金融機関による取得完了の通知",
    "banklink_upload_create": "金融機関からの受信 (アップロード開始)",
    "banklink_upload_part": "金融機関からの受信 (データ受信)",
    "banklink_upload_finish": "金融機関からの受信 (完了・検証)",
    "banklink_upload_delete": "金融機関からの受信の取消し",
    "banklink_account_create": "金融機関システムアカウントの作成",
    "banklink_account_revoke": "金融機関システムアカウントの失効",
    "banklink_account_scope": "金融機関システムアカウントの担当業務の変更",
    "banklink_history": "転送履歴の閲覧",
}


class BanklinkConfig(AppConfig):
    name = "kokin.banklink"
    label = "banklink"
    verbose_name = "金融機関連携"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import labels

        for code, label in ACTION_LABELS.items():
            labels.ACTION_LABELS.setdefault(code, label)
