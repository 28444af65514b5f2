from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "kokin.registers"
    label = "registers"
    verbose_name = "届出台帳 (従事者名簿・情報処理機器)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import details
        from kokin.audit import labels as audit_labels
        from kokin.registers import receivers
        from kokin.registers.labels import ACTION_LABELS
        from kokin.registers.models import Kind

        for code, label in ACTION_LABELS.items():
            audit_labels.ACTION_LABELS.setdefault(code, label)
        for kind in Kind:
            details.VALUE_LABELS.setdefault(kind.value, str(kind.label))
        receivers.connect()
