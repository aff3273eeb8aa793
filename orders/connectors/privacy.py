"""Erasure reaches the connectors' copies too: stored webhook bodies that name the buyer are deleted."""

from __future__ import annotations

from django.db.models import Q

from .models import WebhookEvent


def forget_buyer_in_webhook_events(buyer) -> None:
    """Delete handled webhook events whose raw body holds the buyer's email or phone (an event still
    pending is left to its task; it is deleted with the rest after 30 days)."""
    match = Q(pk__in=[])
    for value in (buyer.email, buyer.phone):
        if value and len(value) >= 5:
            match |= Q(body__contains=value)
    WebhookEvent.objects.filter(merchant_id=buyer.merchant_id).filter(match).exclude(
        status=WebhookEvent.Status.PENDING
    ).delete()
