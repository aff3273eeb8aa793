"""System checks with stable ids, run at every startup (not at the first send)."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def check_encryption_keys(app_configs, **kwargs):
    from .crypto import Keyring

    try:
        Keyring(settings.FIELD_ENCRYPTION_KEYS)
    except ImproperlyConfigured as exc:
        return [
            Error(
                f"Field encryption is not configured: {exc}",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more keys from `manage.py generate_encryption_key`.",
                id="linkstar.E001",
            )
        ]
    return []


@register(deploy=True)
def check_public_base_url(app_configs, **kwargs):
    if settings.PRODUCTION and not settings.PUBLIC_BASE_URL.startswith("https://"):
        return [
            Error(
                "PUBLIC_BASE_URL must be https:// in production: buyers' links and webhook URLs are built from it.",
                id="linkstar.E002",
            )
        ]
    return []
