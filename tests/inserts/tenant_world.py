from inserts import services
from tests.factories.orders import OrderFactory, StoreFactory


def populate(side) -> None:
    store = StoreFactory(merchant=side.merchant, name=f"Card store {side.canary}")
    order = OrderFactory(store=store, number=f"#card-{side.canary}")
    batch = services.create_card_batch(merchant=side.merchant, order_ids=[order.pk])
    side.objects["card_batch"] = batch
