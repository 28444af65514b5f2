from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kokin.web"
    label = "web"
    verbose_name = "kokin"
