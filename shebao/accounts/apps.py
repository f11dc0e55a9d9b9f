from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shebao.accounts"
    label = "accounts"
    verbose_name = "用户、角色与机构"

    def ready(self) -> None:
        from . import signals

        signals.connect()
