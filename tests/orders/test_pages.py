import io

import pytest
from django.core.management import call_command

from accounts.roles import Role
from orders import services
from orders.models import Order, Store
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory, UserFactory
from tests.factories.orders import order_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(store_a):
    rows = [order_row(str(i)) for i in range(3)]
    rows[1]["delivered_at"] = "2025-03-06T10:00:00Z"
    services.upsert_orders(store=store_a, rows=rows)
    return store_a


@pytest.mark.parametrize(
    ("q", "expected"),
    [("#1", {"1"}), ("1", {"1"}), ("jane.2@example.test", {"2"}), ("JANE.2@EXAMPLE.TEST", {"2"}), ("1z 0", {"0"})],
)
def test_orders_are_found_by_number_email_or_tracking_number(client_a, filled, q, expected):
    response = client_a.get("/orders/", {"q": q})
    assert response.status_code == 200
    shown = {o.external_id for o in response.context["page"]}
    assert shown == expected


def test_orders_are_filtered_by_delivery_and_store(client_a, filled):
    delivered = client_a.get("/orders/", {"delivered": "yes"}).context["page"]
    assert [o.external_id for o in delivered] == ["1"]
    by_store = client_a.get("/orders/", {"store": filled.pk}).context["page"]
    assert len(by_store) == 3


def test_the_order_page_shows_items_buyer_and_timeline(client_a, filled):
    order = Order.objects.get(external_id="1")
    response = client_a.get(f"/orders/{order.pk}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Trail socks" in content and "jane.1@example.test" in content
    assert "Delivered" in content and "Created" in content
    assert "Mark as delivered" not in content  # already delivered


def test_pages_render_in_chinese(alice, filled):
    alice.owner.language = "zh-hans"
    alice.owner.save()
    client = logged_in_client(alice.owner)
    order = Order.objects.get(external_id="0")
    assert "时间线" in client.get(f"/orders/{order.pk}/").content.decode()
    assert "导入订单" in client.get("/orders/import/").content.decode()
    assert "店铺" in client.get("/orders/stores/").content.decode()


def test_admins_add_and_edit_stores_and_names_stay_unique(client_a, alice):
    data = {"name": "Amazon DE", "platform": "amazon", "marketplace": "Amazon.de", "default_currency": "eur",
            "default_language": "de", "status": "active"}  # fmt: skip
    assert client_a.post("/orders/stores/", data).status_code == 302
    store = Store.objects.get(merchant=alice.merchant, name="Amazon DE")
    assert store.default_currency == "EUR"
    duplicate = client_a.post("/orders/stores/", data)
    assert duplicate.status_code == 200 and "already have a store" in duplicate.content.decode()
    response = client_a.post(f"/orders/stores/{store.pk}/", {**data, "pii_retention_days": "60"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.pii_retention_days == 60


def test_an_operator_cannot_add_stores(alice):
    operator = MembershipFactory(merchant=alice.merchant, role=Role.OPERATOR).user
    response = logged_in_client(operator).post("/orders/stores/", {"name": "X", "platform": "manual"})
    assert response.status_code == 403
    assert not Store.objects.filter(name="X").exists()


def test_the_dashboard_shows_order_counts(client_a, filled):
    content = client_a.get("/dashboard/").content.decode()
    assert "1 delivered in the last 30 days" in content or "delivered in the last 30 days" in content
    assert 'href="/orders/"' in content and 'href="/orders/stores/"' in content and 'href="/orders/import/"' in content


def test_admin_lists_render_without_n_plus_one(client, filled, django_assert_max_num_queries):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    services.upsert_orders(store=filled, rows=[order_row(f"more-{i}") for i in range(30)])
    for url in ["/admin/orders/order/", "/admin/orders/orderevent/", "/admin/orders/buyer/", "/admin/orders/store/",
                "/admin/orders/importjob/"]:  # fmt: skip
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200, url
    order = Order.objects.first()
    assert client.get(f"/admin/orders/order/{order.pk}/change/").status_code == 200
    assert client.get("/admin/orders/order/?q=jane.1@example.test").status_code == 200


def test_the_demo_loads_stores_and_hundreds_of_orders_and_is_idempotent():
    call_command("demo", stdout=io.StringIO())
    counts = (Store.objects.count(), Order.objects.count())
    # 3 stores each + a WooCommerce store connected to the fakes + a "Demo history" store each (insights)
    assert counts[0] == 10 and counts[1] >= 300
    delivered = Order.objects.filter(delivered_at__isnull=False)
    assert delivered.count() >= 200
    assert len(set(Order.objects.values_list("ship_country", flat=True))) >= 5
    assert Store.objects.filter(platform="amazon").count() == 2
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert (Store.objects.count(), Order.objects.count()) == counts
    assert "0 created, 0 updated" in out.getvalue()
    assert "connections: 0 created" in out.getvalue()
