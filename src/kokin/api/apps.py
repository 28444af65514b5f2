from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kokin.api"
    label = "api"
    verbose_name = "API"
