from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _queue_delivery_event(**event) -> None:
    """channels' listener: hand the event to a task (listeners must be quick)."""
    from .tasks import delivery_event_task

    delivery_event_task.delay(
        event["merchant_id"],
        event["message_ref"],
        event["event_type"],
        event["occurred_at"].isoformat(),
        event.get("provider_event_id", ""),
        event.get("detail", ""),
    )


def _shipping_countries(merchant):
    from .selectors import shipping_countries

    return shipping_countries(merchant)


def _export_messages(buyer):
    from .selectors import export_messages

    return export_messages(buyer)


def _stop_messages_of_buyer(buyer):
    """Erasure (inside its transaction): waiting messages are skipped, and the buyer's addresses are
    suppressed by hash and forgotten by channels, so in-flight sends stop and a re-import stays quiet."""
    from channels.services import erase_recipient

    from .services import stop_messages_of_buyer

    stop_messages_of_buyer(buyer)
    erase_recipient(merchant=buyer.merchant, email=buyer.email, phone=buyer.phone)


def _erase_buyer_feedback(buyer):
    from .recovery import erase_buyer_feedback

    erase_buyer_feedback(buyer)


def _export_buyer_feedback(buyer):
    from .recovery import export_buyer_feedback

    return export_buyer_feedback(buyer)


def _order_section(request, order):
    from .selectors import order_section

    return order_section(request, order)


def _order_events(events):
    from .notices import on_order_events

    on_order_events(events)


def _warm_up_dispatch(**_kwargs) -> None:
    from .dispatch import warm_up

    warm_up()


def _card_help_page(card) -> str | None:
    """inserts' scan target: a card printed for an order opens that order's help page, unless the merchant
    set their own help page for cards (their choice wins, as a campaign's own support page does)."""
    if getattr(card, "order_id", None) is None:
        return None
    from inserts.services import settings_of

    from .links import help_url

    if settings_of(card.merchant).help_url:
        return None

    return help_url(order_id=card.order_id, from_card=True)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Review campaigns")

    def ready(self) -> None:
        from celery.signals import worker_process_init

        from billing.hooks import register_shipping_countries_provider
        from channels.events import register_delivery_listener
        from inserts.hooks import register_scan_target
        from orders.events import register_event_listener
        from orders.privacy import register_erasure_hook, register_export_section
        from orders.sections import OrderSection, register_order_section

        worker_process_init.connect(_warm_up_dispatch, weak=False, dispatch_uid="reviews.warm_up")
        register_delivery_listener(_queue_delivery_event)
        register_event_listener(_order_events)
        register_shipping_countries_provider(_shipping_countries)
        register_export_section("messages", _export_messages)
        register_erasure_hook(_stop_messages_of_buyer)
        register_export_section("service_recovery", _export_buyer_feedback)
        register_erasure_hook(_erase_buyer_feedback)
        register_order_section(OrderSection("reviews/order_section.html", _order_section, order=50))
        register_scan_target(_card_help_page)
