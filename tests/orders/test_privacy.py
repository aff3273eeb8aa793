import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from orders import privacy, services
from orders.models import Buyer, Order, OrderEvent
from orders.selectors import buyers_with_identity
from tests.factories.orders import order_row

pytestmark = pytest.mark.django_db

PII = {
    "name": "Zelda Quinterra",
    "email": "zelda.quinterra@example.test",
    "phone": "+44 20 7946 0958",
    "line1": "221B Baker Street",
    "line2": "Flat 9",
    "city": "Marylebone",
    "postal": "NW1 6XE",
}


def zelda_row(external_id="Z1"):
    consent = {"channel": "email", "ip": "198.51.100.7", "recorded_at": "2025-03-01T00:00:00Z"}
    buyer = {"name": PII["name"], "email": PII["email"], "phone": PII["phone"], "consents": [consent]}
    row = order_row(external_id, buyer=buyer)
    row["ship_to"] = {"name": PII["name"], "line1": PII["line1"], "line2": PII["line2"], "city": PII["city"],
                      "region": "London", "postal_code": PII["postal"], "country": "GB"}  # fmt: skip
    return row


def orders_tables_dump() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'orders\\_%'")
        tables = [t for (t,) in cursor.fetchall()]
        dump = []
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (our own table names)
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


def test_erasure_leaves_no_name_email_phone_or_address_in_any_orders_table(store_a):
    services.upsert_orders(store=store_a, rows=[zelda_row("Z1"), zelda_row("Z2"), order_row("OTHER")])
    buyer = Buyer.objects.get(email=PII["email"])
    order = Order.objects.get(external_id="Z1")
    services.record_order_event(
        order=order, type="delivered", occurred_at=timezone.now(), source="aftership", dedupe_key="t",
        data={"signed_by": PII["name"]},
    )  # fmt: skip
    before = orders_tables_dump()
    assert PII["email"] in before and "+442079460958" in before and PII["postal"] in before
    hashes = (buyer.email_hash, buyer.phone_hash)

    services.erase_buyer(buyer)

    after = orders_tables_dump()
    for value in [PII["name"], "Zelda", "Quinterra", PII["email"], "+442079460958", PII["line1"], PII["line2"],
                  PII["city"], PII["postal"], "198.51.100.7"]:  # fmt: skip
        assert value not in after, value
    buyer.refresh_from_db()
    assert buyer.is_erased and (buyer.email_hash, buyer.phone_hash) == hashes
    assert buyers_with_identity(merchant=store_a.merchant, email_hash=hashes[0]).get() == buyer
    assert Order.objects.filter(buyer=buyer).count() == 2
    assert str(Order.objects.get(external_id="Z1").total) == "59.90"
    assert Order.objects.get(external_id="OTHER").buyer.email  # another buyer is untouched


def test_an_erased_buyer_stays_erased_when_their_order_comes_again(store_a):
    services.upsert_orders(store=store_a, rows=[zelda_row("Z1")])
    services.erase_buyer(Buyer.objects.get())
    results = services.upsert_orders(store=store_a, rows=[zelda_row("Z1"), zelda_row("Z3")])
    assert [r.status for r in results] == ["unchanged", "created"]
    assert Buyer.objects.count() == 1
    assert PII["email"] not in orders_tables_dump()


def test_export_holds_all_of_the_buyers_data_and_none_of_anothers(store_a):
    services.upsert_orders(store=store_a, rows=[zelda_row("Z1"), zelda_row("Z2"), order_row("OTHER")])
    buyer = Buyer.objects.get(email=PII["email"])
    data = services.export_buyer(buyer)
    text = json.dumps(data)
    assert data["buyer"]["email"] == PII["email"]
    assert data["buyer"]["phone"] == "+442079460958"
    assert data["buyer"]["address_line1"] == PII["line1"]
    assert sorted(o["external_id"] for o in data["orders"]) == ["Z1", "Z2"]
    assert all(len(o["items"]) == 2 and o["events"] for o in data["orders"])
    assert data["consents"][0]["ip_address"] == "198.51.100.7"
    assert "OTHER" not in text and "jane.other@example.test" not in text


def test_other_apps_add_export_sections_and_erasure_hooks(store_a):
    seen = []

    def messages_section(buyer):
        return {"count": 2, "buyer_id": buyer.pk}

    def hook(buyer):
        seen.append((buyer.pk, buyer.email))  # runs before the fields are blanked

    privacy.register_export_section("messages", messages_section)
    privacy.register_erasure_hook(hook)
    try:
        services.upsert_orders(store=store_a, rows=[zelda_row()])
        buyer = Buyer.objects.get()
        assert services.export_buyer(buyer)["messages"] == {"count": 2, "buyer_id": buyer.pk}
        services.erase_buyer(buyer)
        assert seen == [(buyer.pk, PII["email"])]
    finally:
        privacy.unregister(name="messages", hook=hook)


def test_a_failing_erasure_hook_erases_nothing(store_a):
    def broken(buyer):
        raise RuntimeError("reviews is down")

    privacy.register_erasure_hook(broken)
    try:
        services.upsert_orders(store=store_a, rows=[zelda_row()])
        with pytest.raises(RuntimeError):
            services.erase_buyer(Buyer.objects.get())
        assert Buyer.objects.get().email == PII["email"]
    finally:
        privacy.unregister(hook=broken)


def test_amazon_buyers_are_erased_30_days_after_delivery(amazon_store_a, store_a):
    now = timezone.now()
    old = (now - dt.timedelta(days=31)).isoformat()
    recent = (now - dt.timedelta(days=10)).isoformat()
    services.upsert_orders(
        store=amazon_store_a,
        rows=[order_row("OLD", delivered_at=old), order_row("NEW", delivered_at=recent)],
        source="amazon",
    )
    services.upsert_orders(store=store_a, rows=[order_row("OLD", delivered_at=old)])  # no retention set
    assert services.erase_due_buyers() == 1
    assert Order.objects.get(store=amazon_store_a, external_id="OLD").buyer.is_erased
    assert not Order.objects.get(store=amazon_store_a, external_id="NEW").buyer.is_erased
    assert not Order.objects.get(store=store_a).buyer.is_erased
    assert services.erase_due_buyers() == 0


def test_a_store_retention_period_erases_its_buyers(store_a):
    store_a.pii_retention_days = 90
    store_a.save()
    long_ago = (timezone.now() - dt.timedelta(days=100)).isoformat()
    services.upsert_orders(
        store=store_a,
        rows=[order_row("R1", delivered_at=long_ago), order_row("R2", placed_at=timezone.now().isoformat())],
    )
    assert services.erase_due_buyers() == 1
    assert Order.objects.get(external_id="R1").buyer.is_erased


def test_the_retention_job_runs_from_beat():
    from orders.tasks import erase_due_buyers_task

    assert erase_due_buyers_task.delay().get() == 0


def test_buyer_page_exports_and_erases(client_a, store_a):
    services.upsert_orders(store=store_a, rows=[zelda_row()])
    buyer = Buyer.objects.get()
    page = client_a.get(f"/orders/buyers/{buyer.pk}/")
    assert page.status_code == 200 and PII["email"].encode() in page.content
    export = client_a.get(f"/orders/buyers/{buyer.pk}/export/")
    assert export.status_code == 200 and json.loads(export.content)["buyer"]["email"] == PII["email"]
    assert client_a.post(f"/orders/buyers/{buyer.pk}/erase/").status_code == 302
    buyer.refresh_from_db()
    assert buyer.is_erased
    assert OrderEvent.objects.exists()
