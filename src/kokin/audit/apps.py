from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kokin.audit"
    label = "audit"
    verbose_name = "操作ログ"

    def ready(self) -> None:
        from kokin.audit import checks  # noqa: F401 - registers the check of the retention classes
