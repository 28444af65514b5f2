from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kokin.accounts"
    label = "accounts"
    verbose_name = "操作担当者・業務"
