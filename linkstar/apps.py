from django.apps import AppConfig


class LinkstarConfig(AppConfig):
    name = "linkstar"
    verbose_name = "Linkstar"

    def ready(self) -> None:
        from . import checks, schema  # noqa: F401  (registers system checks and the OpenAPI auth scheme)
