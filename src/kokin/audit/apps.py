from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kokin.audit"
    label = "audit"
    verbose_name = "操作ログ"
