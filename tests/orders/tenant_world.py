from django.utils import timezone

from accounts.roles import Role
from orders.models import Connection, ImportJob, WebhookEvent
from tests.factories.orders import (
    BuyerFactory,
    OrderEventFactory,
    OrderFactory,
    OrderItemFactory,
    PushSubscriptionFactory,
    StoreFactory,
)


def populate(side) -> None:
    store = StoreFactory(merchant=side.merchant, name=f"Store {side.canary}")
    buyer = BuyerFactory(store=store, name=f"Buyer {side.canary}", email=f"{side.tag}-buyer@example.test")
    order = OrderFactory(
        store=store,
        buyer=buyer,
        external_id=f"ext-{side.canary}",
        number=f"#{side.canary}",
        tracking_number=f"TRACK{side.tag.upper()}",
    )
    OrderItemFactory(order=order, title=f"Item {side.canary}")
    OrderEventFactory(order=order, occurred_at=timezone.now())
    job = ImportJob.objects.create(
        merchant=side.merchant,
        store=store,
        filename=f"orders-{side.canary}.csv",
        file_format="csv",
        content=b"order-id,buyer-email\nA-1,a@example.test\n",
        headers=["order-id", "buyer-email"],
        mapping={"external_id": "order-id", "buyer_email": "buyer-email"},
        total_rows=1,
        errors=[{"row": 2, "column": "buyer-email", "message": f"bad {side.canary}"}],
    )
    connection = Connection(merchant=side.merchant, kind="shopify", label=f"Shopify {side.canary}")
    connection.credentials = {"shop_domain": "x.myshopify.com", "access_token": "t", "app_secret": "s"}
    connection.store = StoreFactory(merchant=side.merchant, name=f"Shopify store {side.canary}", platform="shopify")
    connection.save()
    event = WebhookEvent.objects.create(
        merchant=side.merchant,
        connection=connection,
        topic="customers/data_request",
        event_id=f"evt-{side.canary}",
        body="{}",
        status="processed",
        export={"buyers": [], "note": side.canary},
    )
    push = PushSubscriptionFactory(buyer=buyer, app_id=f"app-{side.canary}")
    side.objects.update(
        store=store,
        buyer=buyer,
        order=order,
        import_job=job,
        connection=connection,
        webhook_event=event,
        push_subscription=push,
    )
    assert Role.OWNER  # the sides' owners may use every orders page
