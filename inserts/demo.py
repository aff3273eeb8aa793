"""Demo insert cards: card settings (address, review page) and one sheet for recent orders per merchant."""

from __future__ import annotations

from orders.models import Order

from . import services
from .models import CardBatch


def load(ctx) -> None:
    made = 0
    for key, merchant in ctx.merchants.items():
        address = (
            "深圳市南山区科技园 1 号\nShenzhen 518000, China"
            if key == "zh"
            else "1 Harbour Road\nSpringfield, IL 62701"
        )
        if services.settings_of(merchant).pk is None:
            services.save_card_settings(
                merchant=merchant,
                postal_address=address,
                help_url="",
                review_url="https://www.amazon.com/review/create-review",
            )
        if not CardBatch.objects.for_merchant(merchant).exists():
            orders = Order.objects.for_merchant(merchant).filter(shipped_at__isnull=False).order_by("-shipped_at")[:8]
            if orders:
                batch = services.create_card_batch(merchant=merchant, order_ids=[o.pk for o in orders])
                made += batch.card_count
    ctx.write(f"inserts: card settings per merchant, {made} insert cards on demo sheets")
