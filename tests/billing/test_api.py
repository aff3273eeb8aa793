import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.billing import PlanFactory, SubscriptionFactory, fund, send

pytestmark = pytest.mark.django_db


def test_balance(alice, api_a, price_book, caps_a):
    SubscriptionFactory(merchant=alice.merchant, plan=PlanFactory(code="growth", name="Growth"))
    fund(alice.merchant, "10", reference="PAY-9", reason="wire")
    send(alice.merchant, channel="sms", quantity=2)
    response = api_a.get("/api/v1/billing/balance")
    assert response.status_code == 200
    data = response.json()
    assert data["currency"] == "USD"
    assert Decimal(data["balance"]) == Decimal("9.98")
    assert Decimal(data["available"]) == Decimal("9.98")
    assert data["plan"]["code"] == "growth"
    assert Decimal(data["month_to_date"]) == Decimal("0.02")
    assert data["last_top_up"]["reference"] == "PAY-9"


def test_balance_of_a_merchant_without_a_wallet_is_zero(api_a):
    data = api_a.get("/api/v1/billing/balance").json()
    assert Decimal(data["balance"]) == 0 and data["plan"] is None and data["last_top_up"] is None


def test_usage_of_this_month_with_totals_and_records(alice, api_a, price_book, caps_a):
    fund(alice.merchant, "10")
    send(alice.merchant, channel="sms", country="GB", quantity=3)
    send(alice.merchant, channel="email", country="US")
    data = api_a.get("/api/v1/billing/usage").json()
    assert data["totals"] == {"messages": 2, "units": 4, "amount": "0.121000"}
    assert {r["channel"] for r in data["results"]} == {"sms", "email"}
    sms = next(r for r in data["results"] if r["channel"] == "sms")
    assert (sms["quantity"], Decimal(sms["amount"]), sms["price_book_version"]) == (
        3,
        Decimal("0.12"),
        price_book.version,
    )
    assert data["count"] == 2
    filtered = api_a.get("/api/v1/billing/usage", {"channel": "email"}).json()
    assert [r["channel"] for r in filtered["results"]] == ["email"]


def test_usage_of_another_month(alice, api_a, price_book, caps_a):
    fund(alice.merchant, "10")
    send(alice.merchant, channel="email", now=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    assert api_a.get("/api/v1/billing/usage", {"month": "2026-03"}).json()["totals"]["messages"] == 1
    assert api_a.get("/api/v1/billing/usage", {"month": "2026-04"}).json()["totals"]["messages"] == 0


@pytest.mark.parametrize("params", [{"month": "March"}, {"channel": "fax"}, {"country": "USA"}])
def test_bad_usage_filters_are_400_with_a_detail(api_a, params):
    response = api_a.get("/api/v1/billing/usage", params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_usage_list_does_not_grow_queries_with_rows(alice, api_a, price_book, caps_a):
    fund(alice.merchant, "10")
    send(alice.merchant, channel="email")
    api_a.get("/api/v1/billing/usage")  # the key's last-used time is written once a minute
    with CaptureQueriesContext(connection) as few:
        api_a.get("/api/v1/billing/usage")
    for _ in range(10):
        send(alice.merchant, channel="sms")
    with CaptureQueriesContext(connection) as many:
        api_a.get("/api/v1/billing/usage")
    assert len(many) == len(few)


def test_the_api_needs_a_key(client):
    assert client.get("/api/v1/billing/balance").status_code in (401, 403)


def test_the_api_is_read_only(api_a):
    assert api_a.post("/api/v1/billing/balance", {}, format="json").status_code == 405
