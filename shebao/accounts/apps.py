from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shebao.accounts"
    label = "accounts"
    verbose_name = "用户、角色与机构"

    def ready(self) -> None:
        from . import lockout, signals  # lockout: connects its axes signal receiver

        signals.connect()
        del lockout
