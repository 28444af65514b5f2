from django.apps import AppConfig

#: names of this app's operation-log actions for the auditor's page
ACTION_LABELS = {
    "role_grant_request": "役割付与の申請",
    "role_grant_decide": "役割付与の申請の決定 (承認・却下)",
    "enrolment_link_issue": "登録用リンクの発行 (パスワード・第2要素のリセット)",
    "enrolment_link_use": "登録用リンクの使用",
    "terminal_change": "情報処理機器 (台帳) の登録・変更・廃止",
}


class AccountsConfig(AppConfig):
    name = "kokin.accounts"
    label = "accounts"
    verbose_name = "操作担当者・業務"

    def ready(self) -> None:
        from kokin.accounts import signals
        from kokin.accounts.models import Role
        from kokin.audit import details, labels

        for code, label in ACTION_LABELS.items():
            labels.ACTION_LABELS.setdefault(code, label)
        for role in Role:
            details.VALUE_LABELS.setdefault(role.value, str(role.label))
        signals.connect()
