from django.apps import AppConfig

#: the operation log's Japanese names for the compliance report's actions
ACTION_LABELS = {
    "compliance_report": "遵守状況報告の作成 (別紙3 第16条)",
    "compliance_report_download": "遵守状況報告の取得",
}


class ComplianceConfig(AppConfig):
    name = "kokin.compliance"
    label = "compliance"
    verbose_name = "遵守状況の報告"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import labels

        for code, label in ACTION_LABELS.items():
            labels.ACTION_LABELS.setdefault(code, label)
