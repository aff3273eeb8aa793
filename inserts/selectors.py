"""Reads of the inserts app, for its pages and for reports (campaigns / insights)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from .models import CardBatch, CardScan, InsertCard


def batches_of(merchant):
    return (
        CardBatch.objects.for_merchant(merchant)
        .select_related("store", "created_by")
        .annotate(scan_count=Count("cards__scans"))
        .order_by("-created_at", "-id")
    )


def scan_counts(*, merchant, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict:
    """{"cards": printed, "scans": scans, "scanned_cards": cards scanned at least once} for reports."""
    cards = InsertCard.objects.for_merchant(merchant)
    scans = CardScan.objects.for_merchant(merchant)
    if since is not None:
        cards, scans = cards.filter(created_at__gte=since), scans.filter(scanned_at__gte=since)
    if until is not None:
        cards, scans = cards.filter(created_at__lt=until), scans.filter(scanned_at__lt=until)
    return {
        "cards": cards.count(),
        "scans": scans.count(),
        "scanned_cards": scans.values("card_id").distinct().count(),
    }


def scans_by_message_ref(*, message_refs: list[str]) -> dict[str, int]:
    """Scans per card reference (the campaigns app keys its messages on the same references)."""
    rows = (
        CardScan.objects.filter(card__message_ref__in=message_refs).values("card__message_ref").annotate(n=Count("id"))
    )
    return {row["card__message_ref"]: row["n"] for row in rows}
