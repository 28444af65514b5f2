from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kokin.web"
    label = "web"
    verbose_name = "kokin"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from kokin.web import checks, deploy_checks  # noqa: F401 - registers the checks of the KOKIN_* settings
        from kokin.web.dbguard import release_stuck_transactions

        request_started.connect(release_stuck_transactions, dispatch_uid="kokin-release-sqlite-lock-start")
        request_finished.connect(release_stuck_transactions, dispatch_uid="kokin-release-sqlite-lock-end")
