"""Find the optional module each app contributes (navigation, periodic, demo...)."""

from importlib import import_module
from types import ModuleType

from django.apps import apps


def app_module(app_name: str, module: str) -> ModuleType | None:
    """`<app>.<module>` if the app has one; an import error inside it still raises."""
    try:
        return import_module(f"{app_name}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_name}.{module}":
            raise
        return None


def contributions(module: str, attribute: str) -> list:
    """Every installed app's `<app>.<module>.<attribute>` list, concatenated in app order."""
    found = []
    for config in apps.get_app_configs():
        contributed = app_module(config.name, module)
        if contributed is not None:
            found.extend(getattr(contributed, attribute, []))
    return found
