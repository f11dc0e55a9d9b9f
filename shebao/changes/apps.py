from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "shebao.changes"
    label = "changes"
    verbose_name = "办事指南变更管理"
