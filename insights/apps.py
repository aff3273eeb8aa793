from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Delivery events after which a merchant's breakers are looked at at once, not only at the next beat.
ALARMING_EVENTS = frozenset({"complained", "bounced", "failed", "unsubscribed"})
DEBOUNCE_SECONDS = 30


def _on_delivery_event(**event) -> None:
    """channels' listener: a complaint, bounce or unsubscribe queues one evaluation per merchant every
    DEBOUNCE_SECONDS (a burst of complaints does not queue a burst of evaluations)."""
    if event.get("event_type") not in ALARMING_EVENTS:
        return
    from django.core.cache import cache

    from .tasks import evaluate_breakers_task

    merchant_id = event["merchant_id"]
    if cache.add(f"insights:breakers:{merchant_id}", 1, DEBOUNCE_SECONDS):
        evaluate_breakers_task.delay(merchant_id)


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from channels.events import register_delivery_listener

        register_delivery_listener(_on_delivery_event)
