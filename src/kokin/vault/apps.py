from django.apps import AppConfig

#: the operation log's Japanese names for the vault's actions
ACTION_LABELS = {
    "vault_store": "ファイルの暗号化保管",
    "vault_open": "保管ファイルの読み出し",
    "vault_shred": "保管ファイルの消去 (暗号鍵破棄)",
    "vault_export": "パスワード付き ZIP の作成",
    "keys_rotate": "マスター鍵の更新",
    "keys_destroy": "廃止済みマスター鍵の破棄",
}


class VaultConfig(AppConfig):
    name = "kokin.vault"
    label = "vault"
    verbose_name = "暗号化保管庫"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import labels

        for code, label in ACTION_LABELS.items():
            labels.ACTION_LABELS.setdefault(code, label)
