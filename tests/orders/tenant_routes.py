from tests.tenancy import Route


def _obj(name):
    return lambda w: {"pk": w.bob.objects[name].pk}


ROUTES = [
    Route("orders:list", "list"),
    Route("orders:detail", "object", kwargs=_obj("order")),
    Route("orders:mark_delivered", "object", kwargs=_obj("order"), methods=("post",)),
    Route("orders:stores", "list"),
    Route("orders:store_edit", "object", kwargs=_obj("store"), methods=("get", "post")),
    Route("orders:buyer", "object", kwargs=_obj("buyer")),
    Route("orders:buyer_export", "object", kwargs=_obj("buyer")),
    Route("orders:buyer_erase", "object", kwargs=_obj("buyer"), methods=("post",)),
    Route("orders:import", "list"),
    Route("orders:import_detail", "object", kwargs=_obj("import_job"), methods=("get", "post")),
    Route("orders:import_progress", "object", kwargs=_obj("import_job")),
    Route("orders:import_errors", "object", kwargs=_obj("import_job")),
    Route("orders:connections", "list"),
    Route("orders:connection", "object", kwargs=_obj("connection"), methods=("get", "post")),
    Route("orders:connection_test", "object", kwargs=_obj("connection"), methods=("post",)),
    Route("orders:connection_sync", "object", kwargs=_obj("connection"), methods=("post",)),
    Route("orders:connection_toggle", "object", kwargs=_obj("connection"), methods=("post",)),
    Route(
        "orders:connection_event_export",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["connection"].pk, "event_pk": w.bob.objects["webhook_event"].pk},
    ),
    *[
        Route(
            f"orders:webhook_{kind}",
            "public",
            kwargs=lambda w: {"token": w.bob.objects["connection"].webhook_token},
            methods=("post",),
            why="a platform's webhook: verified by its signature over the raw body with the connection's own "
            "secret, and addressed by an unguessable per-connection token (tests/orders/connectors/test_webhooks.py)",
        )
        for kind in ("shopify", "woocommerce", "aftership", "17track")
    ],
    Route("orders-api:store-list", "list"),
    Route("orders-api:store-detail", "object", kwargs=_obj("store")),
    Route("orders-api:order-bulk", "object", kwargs=_obj("store"), methods=("post",), body=lambda w: {"orders": []}),
    Route("orders-api:order-list", "list"),
    Route("orders-api:order-detail", "object", kwargs=_obj("order")),
    Route(
        "orders-api:event-bulk",
        "public",
        why="events name orders by store id or tracking number, resolved only within the key's merchant; "
        "tested in tests/orders/test_api.py (Bob's store or tracking number reports an error, writes nothing)",
    ),
]

ROUTES += [
    Route("orders-api:push-subscriptions", "object", kwargs=_obj("buyer"), methods=("get", "post")),
    Route(
        "orders-api:push-subscription-detail",
        "object",
        kwargs=lambda w: {"pk": w.bob.objects["buyer"].pk, "sub_pk": w.bob.objects["push_subscription"].pk},
        methods=("get", "delete"),
    ),
]
