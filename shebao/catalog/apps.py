from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shebao.catalog"
    label = "catalog"
    verbose_name = "事项清单与办事指南"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers the like_subsequence lookup)
