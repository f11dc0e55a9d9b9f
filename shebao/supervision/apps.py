from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "shebao.supervision"
    label = "supervision"
    verbose_name = "督办"
    default_auto_field = "django.db.models.BigAutoField"
