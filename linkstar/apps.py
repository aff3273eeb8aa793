from django.apps import AppConfig


class LinkstarConfig(AppConfig):
    name = "linkstar"
    verbose_name = "Linkstar"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
