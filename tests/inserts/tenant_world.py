from inserts import services


def populate(side) -> None:
    order = side.objects["order"]  # filled by tests/orders/tenant_world.py (runs first)
    batch = services.create_card_batch(merchant=side.merchant, order_ids=[order.pk])
    side.objects["card_batch"] = batch
