import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey
from orders import services
from orders.models import Buyer, Order, OrderEvent, OrderItem
from tests.conftest import api_client_for
from tests.factories.accounts import make_api_key
from tests.factories.orders import order_row
from tests.orders.conftest import bulk_url

pytestmark = pytest.mark.django_db


def post(api, store, rows):
    return api.post(bulk_url(store), {"orders": rows}, format="json")


def test_one_request_reports_created_updated_unchanged_and_error_rows(api_a, store_a):
    post(api_a, store_a, [order_row("A"), order_row("B")])
    rows = [
        order_row("A"),  # same as before
        order_row("B", total="61.00"),  # changed
        order_row("C"),  # new
        order_row("D", buyer={"name": "Bad Phone", "phone": "12"}),  # invalid
    ]
    response = post(api_a, store_a, rows)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["unchanged", "updated", "created", "error"]
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3]
    assert body["results"][3]["external_id"] == "D"
    assert body["results"][3]["errors"][0]["field"] == "buyer.phone"
    assert body["counts"] == {"unchanged": 1, "updated": 1, "created": 1, "error": 1}
    assert str(Order.objects.get(store=store_a, external_id="B").total) == "61.00"
    assert not Order.objects.filter(external_id="D").exists()
    assert OrderItem.objects.filter(order__store=store_a).count() == 6  # A, B (items replaced), C


def test_a_replayed_payload_changes_nothing(api_a, store_a):
    rows = [order_row(str(i)) for i in range(20)]
    assert post(api_a, store_a, rows).status_code == 200
    snapshot = list(Order.objects.order_by("pk").values_list("pk", "updated_at", "content_hash"))
    events = OrderEvent.objects.count()
    buyers = list(Buyer.objects.order_by("pk").values_list("pk", "updated_at"))
    response = post(api_a, store_a, rows)
    assert {r["status"] for r in response.json()["results"]} == {"unchanged"}
    assert list(Order.objects.order_by("pk").values_list("pk", "updated_at", "content_hash")) == snapshot
    assert list(Buyer.objects.order_by("pk").values_list("pk", "updated_at")) == buyers
    assert OrderEvent.objects.count() == events


def test_more_than_1000_rows_is_413_and_nothing_is_written(api_a, store_a):
    response = post(api_a, store_a, [order_row(str(i)) for i in range(1001)])
    assert response.status_code == 413
    assert "1000" in response.json()["detail"]
    assert Order.objects.count() == 0 and Buyer.objects.count() == 0


def test_a_body_over_the_limit_is_413(api_a, store_a, settings):
    settings.ORDERS_BULK_MAX_BYTES = 2000
    response = post(api_a, store_a, [order_row(str(i)) for i in range(5)])
    assert response.status_code == 413
    assert response.json()["detail"]
    assert Order.objects.count() == 0


@pytest.mark.parametrize("body", ["{not json", '{"orders": 5}', '"hello"'])
def test_malformed_json_is_400(api_a, store_a, body):
    response = api_a.generic("POST", bulk_url(store_a), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_another_merchants_store_is_404_and_untouched(api_a, store_b):
    response = post(api_a, store_b, [order_row("X")])
    assert response.status_code == 404
    assert not Order.objects.filter(store=store_b).exists()


def test_a_read_only_key_cannot_post_orders(alice, store_a):
    _, plaintext = make_api_key(alice.merchant, scope=ApiKey.Scope.READ)
    response = post(api_client_for(plaintext), store_a, [order_row("R")])
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_a_missing_external_id_names_the_row_and_field(api_a, store_a):
    blank = order_row("x")
    blank["external_id"] = "  "
    rows = [order_row("OK"), blank, {"number": "#9"}]
    results = post(api_a, store_a, rows).json()["results"]
    assert results[0]["status"] == "created"
    for result in results[1:]:
        assert result["status"] == "error"
        assert {"field": "external_id", "message": "This field is required."} in result["errors"]


def test_several_bad_fields_are_all_reported(api_a, store_a):
    row = order_row(
        "E",
        placed_at="yesterday-ish",
        total="a lot",
        items=[{"sku": "A", "quantity": 0}],
        ship_to={"country": "Atlantis"},
        buyer={"email": "not-an-email"},
    )
    errors = post(api_a, store_a, [row]).json()["results"][0]["errors"]
    fields = {e["field"] for e in errors}
    assert {"placed_at", "total", "items[0].quantity", "ship_to.country", "buyer.email"} <= fields
    assert all(e["message"] for e in errors)
    assert "not-an-email" not in json.dumps(errors)  # reports never echo the personal data they refused


def test_a_duplicate_external_id_in_one_batch_is_an_error_row(api_a, store_a):
    results = post(api_a, store_a, [order_row("DUP"), order_row("DUP", total="1.00")]).json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert str(Order.objects.get(external_id="DUP").total) == "59.90"


def test_a_batch_costs_the_same_number_of_queries_whatever_its_size(store_a):
    def queries_for(prefix, n):
        with CaptureQueriesContext(connection) as ctx:
            services.upsert_orders(store=store_a, rows=[order_row(f"{prefix}{i}") for i in range(n)])
        return len(ctx.captured_queries)

    assert queries_for("small", 5) == queries_for("large", 200)


def test_buyers_are_normalised_hashed_and_given_a_time_zone(store_a):
    row = order_row("TZ", buyer={"name": "Max Muster", "email": " Max@Example.DE ", "phone": "0151 23456789"})
    row["ship_to"] = {"country": "DE", "city": "Berlin", "postal_code": "10115"}
    services.upsert_orders(store=store_a, rows=[row])
    buyer = Buyer.objects.get()
    assert buyer.email == "max@example.de"
    assert buyer.phone == "+4915123456789"
    assert buyer.country == "DE" and buyer.language == "de" and buyer.time_zone == "Europe/Berlin"
    assert buyer.first_name == "Max" and buyer.last_name == "Muster"
    from linkstar.identity import email_hash, phone_hash

    assert buyer.email_hash == email_hash(store_a.merchant_id, "max@example.de")
    assert buyer.phone_hash == phone_hash(store_a.merchant_id, "+4915123456789")


def test_us_buyers_get_the_zone_of_their_state_or_phone(store_a):
    row = order_row("CA1", buyer={"name": "Pat", "email": "pat@example.test"})
    row["ship_to"] = {"country": "US", "region": "CA"}
    services.upsert_orders(store=store_a, rows=[row, order_row("NY1")])
    assert Buyer.objects.get(email="pat@example.test").time_zone == "America/Los_Angeles"
    assert Order.objects.get(external_id="NY1").buyer.time_zone == "America/Chicago"  # shipped to Illinois
    no_state = order_row("SF1", buyer={"name": "Sam", "phone": "(415) 555-2671"})
    no_state["ship_to"] = {"country": "US"}
    services.upsert_orders(store=store_a, rows=[no_state])
    assert Order.objects.get(external_id="SF1").buyer.time_zone == "America/Los_Angeles"  # a San Francisco number


def test_the_same_person_in_two_orders_is_one_buyer(store_a):
    services.upsert_orders(store=store_a, rows=[order_row("P1"), order_row("P2")])
    services.upsert_orders(
        store=store_a,
        rows=[order_row("P3", buyer={"name": "Jane Doe", "email": "JANE.P1@example.test"})],
    )
    p1, p3 = Order.objects.get(external_id="P1"), Order.objects.get(external_id="P3")
    assert p1.buyer_id == p3.buyer_id
    assert Buyer.objects.count() == 2  # P1/P3's buyer and P2's


def test_amazon_buyer_emails_are_marked_as_marketplace_relays(amazon_store_a, store_a):
    row = order_row("114-1", buyer={"name": "A", "email": "abc123@marketplace.amazon.com"})
    services.upsert_orders(store=amazon_store_a, rows=[row])
    buyer = Buyer.objects.get(store=amazon_store_a)
    assert buyer.email_is_relay and not buyer.can_be_emailed
    order = Order.objects.get(store=amazon_store_a)
    assert order.fulfillment_channel == Order.FulfillmentChannel.FBM
    services.upsert_orders(store=store_a, rows=[order_row("S-1")])
    assert Buyer.objects.get(store=store_a).email_is_relay is False


def test_amazon_delivery_window_and_fba_are_kept(amazon_store_a):
    row = order_row(
        "114-2", fulfillment_channel="AFN", earliest_delivery_date="2025-03-04", latest_delivery_date="2025-03-08"
    )
    services.upsert_orders(store=amazon_store_a, rows=[row], source="amazon")
    order = Order.objects.get()
    assert order.fulfillment_channel == Order.FulfillmentChannel.FBA
    assert str(order.earliest_delivery_date) == "2025-03-04" and str(order.latest_delivery_date) == "2025-03-08"


def test_consents_are_recorded_once(store_a):
    buyer = {
        "name": "C",
        "email": "c@example.test",
        "consents": [{"channel": "email", "status": "granted", "lawful_basis": "consent", "source": "checkout",
                      "text_version": "v3", "recorded_at": "2025-03-01T10:00:00Z", "ip": "203.0.113.9"}],
    }  # fmt: skip
    for total in ("1.00", "2.00"):
        services.upsert_orders(store=store_a, rows=[order_row("CON", buyer=buyer, total=total)])
    from orders.selectors import current_consent, has_consent

    buyer_row = Buyer.objects.get()
    assert buyer_row.consents.count() == 1
    assert has_consent(buyer=buyer_row, channel="email")
    assert current_consent(buyer=buyer_row, channel="sms") is None
    assert current_consent(buyer=buyer_row, channel="email").ip_address == "203.0.113.9"


def test_the_api_lists_and_filters_orders_with_cursor_pagination(api_a, store_a):
    rows = [order_row(str(i)) for i in range(7)]
    rows[0]["delivered_at"] = "2025-03-05T12:00:00Z"
    post(api_a, store_a, rows)
    page = api_a.get("/api/v1/orders/?page_size=5").json()
    assert len(page["results"]) == 5 and page["next"]
    rest = api_a.get(page["next"]).json()
    assert len(rest["results"]) == 2
    delivered = api_a.get("/api/v1/orders/?delivered_after=2025-03-05T00:00:00Z&delivered_before=2025-03-06").json()
    assert [o["external_id"] for o in delivered["results"]] == ["0"]
    assert api_a.get("/api/v1/orders/?status=delivered").json()["results"][0]["external_id"] == "0"
    assert api_a.get(f"/api/v1/orders/?store={store_a.pk}&updated_since=2000-01-01").status_code == 200
    bad = api_a.get("/api/v1/orders/?updated_since=soon")
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]


def test_the_api_shows_one_order_with_items_and_events(api_a, store_a):
    post(api_a, store_a, [order_row("ONE")])
    order = Order.objects.get()
    body = api_a.get(f"/api/v1/orders/{order.pk}").json()
    assert body["external_id"] == "ONE"
    assert len(body["items"]) == 2
    assert [e["type"] for e in body["events"]] == ["created"]
    assert body["buyer"]["email"] == "jane.one@example.test"


def test_the_order_list_api_does_not_grow_queries_with_rows(api_a, store_a, django_assert_max_num_queries):
    post(api_a, store_a, [order_row(str(i)) for i in range(30)])
    with django_assert_max_num_queries(8):
        assert api_a.get("/api/v1/orders/").status_code == 200
