from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "kokin.training"
    label = "training"
    verbose_name = "研修・取扱規程"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kokin.audit import labels as audit_labels
        from kokin.training.labels import ACTION_LABELS

        for code, label in ACTION_LABELS.items():
            audit_labels.ACTION_LABELS.setdefault(code, label)
