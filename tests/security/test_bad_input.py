"""Inputs the API fuzzer found breaking the database, answered as client errors instead."""

import pytest

from orders.models import OrderEvent
from reviews.models import Campaign

pytestmark = pytest.mark.django_db


def test_a_nul_byte_in_a_query_string_is_a_400_not_a_database_error(api_a, client_a):
    response = api_a.get("/api/v1/messages/?status=%00&code=a%00b")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert client_a.get("/orders/?q=%00").status_code == 400


def test_a_nul_character_anywhere_in_a_json_body_is_a_400_and_writes_nothing(api_a, alice):
    rows = {"events": [{"tracking_number": "1Z\u0000X", "type": "delivered", "occurred_at": "2026-11-20T10:00:00Z"},
                       {"tracking_number": "1Z9", "type": "delivered", "occurred_at": "2026-11-20T10:00:00Z",
                        "data": {"\u0000": 1}}]}  # fmt: skip
    before = OrderEvent.objects.count()
    response = api_a.post("/api/v1/orders/events/bulk", rows, format="json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert OrderEvent.objects.count() == before


def test_a_second_campaign_with_the_same_name_is_a_field_error(api_a, alice):
    first = api_a.post("/api/v1/campaigns/", {"name": "Autumn"}, format="json")
    assert first.status_code == 201, first.content
    again = api_a.post("/api/v1/campaigns/", {"name": "Autumn"}, format="json")
    assert again.status_code == 400
    assert "name" in again.json()["errors"]
    assert Campaign.objects.for_merchant(alice.merchant).filter(name="Autumn").count() == 1


def test_variants_sharing_a_name_are_a_field_error(api_a):
    body = {"name": "Winter", "variants": [{"name": "A", "weight": 1}, {"name": "A", "weight": 2}]}
    response = api_a.post("/api/v1/campaigns/", body, format="json")
    assert response.status_code == 400
    assert "variants" in response.json()["errors"]
