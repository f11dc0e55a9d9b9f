from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "shebao.supervision"
    label = "supervision"
    verbose_name = "督办"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, pre_delete

        from . import rollup
        from .models import CaseFact

        # A fact deleted with its case leaves the monthly roll-up in the same transaction.
        pre_delete.connect(rollup.fact_pre_delete, sender=CaseFact, dispatch_uid="sv-rollup-pre-delete")
        post_delete.connect(rollup.fact_post_delete, sender=CaseFact, dispatch_uid="sv-rollup-post-delete")
