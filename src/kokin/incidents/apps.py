from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "kokin.incidents"
    label = "incidents"
    verbose_name = "事故・インシデント"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import labels as audit_labels
        from kokin.audit.events import entry_recorded
        from kokin.incidents import (
            checks,  # noqa: F401 - registers the check of the rules' settings
            watch,
        )
        from kokin.incidents.labels import ACTION_LABELS

        for code, label in ACTION_LABELS.items():
            audit_labels.ACTION_LABELS.setdefault(code, label)
        entry_recorded.connect(watch.receive, dispatch_uid="kokin.incidents.watch")
