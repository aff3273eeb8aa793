import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import Role
from orders import services
from orders.models import Order, OrderEvent, Source
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory
from tests.factories.orders import OrderFactory, order_row

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 5, 12, 0, tzinfo=dt.UTC)


def delivered(order, at, source, key):
    return services.record_order_event(
        order=order, type=OrderEvent.Type.DELIVERED, occurred_at=at, source=source, dedupe_key=key
    )


def test_the_first_delivered_event_sets_delivered_at_and_later_ones_never_move_it(store_a):
    order = OrderFactory(store=store_a)
    delivered(order, T0, Source.API, "a")
    assert order.delivered_at == T0 and order.status == Order.Status.DELIVERED
    assert order.delivery_confidence == "merchant"
    later = delivered(order, T0 + dt.timedelta(days=2), Source.AFTERSHIP, "b")
    earlier_less_trusted = delivered(order, T0 - dt.timedelta(days=1), Source.MANUAL, "c")
    assert order.delivered_at == T0
    assert later.created and not later.applied
    assert earlier_less_trusted.created and not earlier_less_trusted.applied
    assert OrderEvent.objects.filter(order=order, type="delivered").count() == 3  # all kept


def test_an_earlier_delivery_from_a_more_trusted_source_corrects_it(store_a):
    order = OrderFactory(store=store_a)
    delivered(order, T0, Source.SHOPIFY, "shopify")
    outcome = delivered(order, T0 - dt.timedelta(hours=20), Source.SEVENTEEN_TRACK, "17track")
    assert outcome.applied
    assert order.delivered_at == T0 - dt.timedelta(hours=20)
    assert order.delivered_source == Source.SEVENTEEN_TRACK and order.delivery_confidence == "carrier"
    assert order.events.filter(dedupe_key="shopify").exists()


def test_later_status_events_never_clear_a_delivery(store_a):
    order = OrderFactory(store=store_a)
    delivered(order, T0, Source.API, "d")
    for i, type_ in enumerate(["shipped", "out_for_delivery", "delivery_exception"]):
        services.record_order_event(
            order=order,
            type=type_,
            occurred_at=T0 + dt.timedelta(hours=i + 1),
            source=Source.AFTERSHIP,
            dedupe_key=f"x{i}",
        )
    assert order.delivered_at == T0 and order.status == Order.Status.DELIVERED


def test_an_upsert_without_delivered_at_keeps_the_delivery(store_a):
    services.upsert_orders(store=store_a, rows=[order_row("K1")])
    order = Order.objects.get()
    delivered(order, T0, Source.AFTERSHIP, "track")
    services.upsert_orders(store=store_a, rows=[order_row("K1", total="70.00", status="shipped")])
    order.refresh_from_db()
    assert order.delivered_at == T0 and order.status == Order.Status.DELIVERED
    assert order.delivered_source == Source.AFTERSHIP


def test_events_are_deduplicated_by_key(store_a):
    order = OrderFactory(store=store_a)
    first = delivered(order, T0, Source.AFTERSHIP, "aftership:123:delivered")
    again = delivered(order, T0 + dt.timedelta(hours=1), Source.AFTERSHIP, "aftership:123:delivered")
    assert first.created and not again.created
    assert order.events.count() == 1


@pytest.mark.parametrize(
    ("type_", "flag"),
    [("returned", "returned"), ("refunded", "refunded"), ("reviewed", "buyer_reviewed"), ("claim_opened", "claim_open"),
     ("cancelled", "cancelled")],
)  # fmt: skip
def test_exclusion_flags_are_set_by_their_events(store_a, type_, flag):
    order = OrderFactory(store=store_a)
    delivered(order, T0, Source.API, "d")
    assert Order.objects.not_excluded().filter(pk=order.pk).exists()
    services.record_order_event(
        order=order, type=type_, occurred_at=T0 + dt.timedelta(days=1), source=Source.API, dedupe_key=type_
    )
    assert getattr(order, flag) is True
    assert not Order.objects.not_excluded().filter(pk=order.pk).exists()
    # an upsert that does not mention the flag never clears it
    services.upsert_orders(store=store_a, rows=[{"external_id": order.external_id, "total": "1.00"}])
    order.refresh_from_db()
    assert getattr(order, flag) is True


def test_flags_from_upserted_rows_add_events(store_a):
    services.upsert_orders(store=store_a, rows=[order_row("F1", refunded=True)])
    order = Order.objects.get()
    assert order.refunded
    assert set(order.events.values_list("type", flat=True)) == {"created", "refunded"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type": "teleported"}, "type"),
        ({"source": "carrier-pigeon"}, "source"),
        ({"occurred_at": dt.datetime(2025, 1, 1)}, "occurred_at"),  # naive
        ({"occurred_at": timezone.now() + dt.timedelta(days=3)}, "occurred_at"),
        ({"dedupe_key": ""}, "dedupe_key"),
    ],
)
def test_invalid_events_are_refused_with_the_field(store_a, kwargs, field):
    order = OrderFactory(store=store_a)
    args = {"type": "delivered", "occurred_at": T0, "source": Source.API, "dedupe_key": "k", **kwargs}
    with pytest.raises(ValidationError) as exc:
        services.record_order_event(order=order, **args)
    assert field in exc.value.message_dict
    assert not order.events.exists()


def test_bulk_events_find_orders_by_store_and_id_or_by_tracking_number(api_a, store_a, store_b):
    services.upsert_orders(store=store_a, rows=[order_row("E1"), order_row("E2")])
    bob_order = OrderFactory(store=store_b, external_id="E1", tracking_number="1ZE2")
    events = [
        {"store": store_a.pk, "external_id": "E1", "type": "delivered", "occurred_at": "2025-03-06T09:00:00Z"},
        {"tracking_number": "1z e2", "type": "delivered", "occurred_at": "2025-03-07T09:00:00+01:00"},
        {"store": store_b.pk, "external_id": "E1", "type": "delivered", "occurred_at": "2025-03-06T09:00:00Z"},
        {"tracking_number": "NOPE", "type": "delivered", "occurred_at": "2025-03-06T09:00:00Z"},
        {"store": store_a.pk, "external_id": "E1", "type": "sunbathing", "occurred_at": "2025-03-06T09:00:00Z"},
    ]
    response = api_a.post("/api/v1/orders/events/bulk", {"events": events}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error", "error", "error"]
    assert results[2]["errors"][0]["field"] == "external_id"  # Bob's store is simply not found
    assert results[4]["errors"][0]["field"] == "type"
    e1, e2 = Order.objects.get(store=store_a, external_id="E1"), Order.objects.get(external_id="E2")
    assert e1.delivered_at == dt.datetime(2025, 3, 6, 9, tzinfo=dt.UTC)
    assert e2.delivered_at == dt.datetime(2025, 3, 7, 8, tzinfo=dt.UTC)
    bob_order.refresh_from_db()
    assert bob_order.delivered_at is None and not bob_order.events.exists()
    replay = api_a.post("/api/v1/orders/events/bulk", {"events": events[:2]}, format="json").json()
    assert [r["status"] for r in replay["results"]] == ["unchanged", "unchanged"]


def test_bulk_events_refuse_more_than_1000_rows(api_a):
    event = {"tracking_number": "X", "type": "delivered", "occurred_at": "2025-03-06T09:00:00Z"}
    response = api_a.post("/api/v1/orders/events/bulk", {"events": [event] * 1001}, format="json")
    assert response.status_code == 413


def test_marking_delivered_by_hand_is_audited(client_a, alice, store_a):
    order = OrderFactory(store=store_a)
    response = client_a.post(f"/orders/{order.pk}/delivered/", {"delivered_at": "2025-03-05T10:30"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.delivered_at is not None and order.delivered_source == Source.MANUAL
    event = order.events.get(type="delivered")
    assert event.actor == alice.owner and event.data == {"by": alice.owner.email}
    page = client_a.get(f"/orders/{order.pk}/")
    assert alice.owner.email.encode() in page.content


def test_a_viewer_cannot_mark_delivered(alice, store_a):
    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    order = OrderFactory(store=store_a)
    assert logged_in_client(viewer).post(f"/orders/{order.pk}/delivered/", {}).status_code == 403
    order.refresh_from_db()
    assert order.delivered_at is None


def test_a_future_manual_delivery_is_refused(client_a, store_a):
    order = OrderFactory(store=store_a)
    future = (timezone.now() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    client_a.post(f"/orders/{order.pk}/delivered/", {"delivered_at": future})
    order.refresh_from_db()
    assert order.delivered_at is None
