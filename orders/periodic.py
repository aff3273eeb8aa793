from linkstar.periodic import PeriodicSpec

PERIODIC_TASKS = [
    PeriodicSpec(
        name="orders: erase buyers past retention",
        task="orders.tasks.erase_due_buyers_task",
        crontab="23 * * * *",
        description="Erase buyers' personal data 30 days after an Amazon delivery, or after a store's own "
        "retention period; drop uploaded order files that were never imported.",
    ),
    PeriodicSpec(
        name="orders: reconcile WooCommerce stores",
        task="orders.connectors.tasks.poll_woocommerce_task",
        every_seconds=15 * 60,
        description="Read back orders modified since the last poll (WooCommerce never retries a lost webhook).",
    ),
    PeriodicSpec(
        name="orders: poll Amazon SP-API orders",
        task="orders.connectors.tasks.poll_amazon_task",
        every_seconds=10 * 60,
        description="getOrders with LastUpdatedAfter per store and marketplace, within Amazon's rate limits.",
    ),
    PeriodicSpec(
        name="orders: reconcile Shopify stores",
        task="orders.connectors.tasks.poll_shopify_task",
        every_seconds=60 * 60,
        description="Read back orders updated since the last poll, in case webhooks were lost.",
    ),
    PeriodicSpec(
        name="orders: connector housekeeping",
        task="orders.connectors.tasks.connector_housekeeping_task",
        every_seconds=10 * 60,
        description="Register shipped orders with AfterShip / 17TRACK, retry webhook events waiting for their "
        "order, drop raw webhook bodies after 30 days.",
    ),
]
