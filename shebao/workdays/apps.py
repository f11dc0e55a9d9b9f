from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "shebao.workdays"
    label = "workdays"
    verbose_name = "工作日与时限"

    def ready(self) -> None:
        # Any change to the holiday table, from the admin, `shebao calendar load` or a shell,
        # must reach the cached working-day index.
        from . import signals  # noqa: F401
