from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from .connectors.privacy import forget_buyer_in_webhook_events
        from .privacy import register_erasure_hook

        register_erasure_hook(forget_buyer_in_webhook_events)
