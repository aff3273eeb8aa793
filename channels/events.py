"""How other apps hear about deliveries without channels importing them.

`reviews` (or any app) registers a listener in its AppConfig.ready():

    from channels.events import register_delivery_listener
    register_delivery_listener(on_delivery_event)

A listener is called once per new provider event, after the transaction that recorded it
committed, with keyword arguments:

    merchant_id: int, message_ref: str ("" for inbound messages that match no message),
    event_type: str (DeliveryEvent.Type: sent, delivered, deferred, bounced, failed, opened,
    clicked, complained, unsubscribed, resubscribed, inbound, other),
    occurred_at: datetime, provider_event_id: str, detail: str

Listeners should be quick and idempotent (queue their own task); one that raises is logged and
does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

DeliveryListener = Callable[..., None]
_listeners: list[DeliveryListener] = []


def register_delivery_listener(listener: DeliveryListener) -> DeliveryListener:
    """Add a listener (once); returns it, so it can be used as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister_delivery_listener(listener: DeliveryListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def notify_listeners(
    *,
    merchant_id: int,
    message_ref: str,
    event_type: str,
    occurred_at: dt.datetime,
    provider_event_id: str,
    detail: str,
) -> None:
    for listener in list(_listeners):
        try:
            listener(
                merchant_id=merchant_id,
                message_ref=message_ref,
                event_type=event_type,
                occurred_at=occurred_at,
                provider_event_id=provider_event_id,
                detail=detail,
            )
        except Exception:  # one broken listener must not hide the event from the others
            logger.exception("delivery listener %r failed for event %s", listener, provider_event_id)


@dataclass
class ProviderEvent:
    """One provider event, normalised by a webhook view before it is stored.

    `suppress` names a SuppressionEntry.Reason when the event must land on the suppression list at
    once (hard bounce, complaint, unsubscribe, STOP, invalid number); `resubscribe` lifts it (START).
    """

    provider: str
    provider_event_id: str
    event_type: str
    occurred_at: dt.datetime
    message_ref: str = ""
    provider_message_id: str = ""
    recipient: str = ""
    channel: str = ""
    detail: str = ""
    payload: dict = field(default_factory=dict)
    suppress: str = ""
    resubscribe: bool = False
