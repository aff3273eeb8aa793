from decimal import Decimal

import pytest

from accounts.roles import Role
from billing.models import BudgetCap, ChannelCap
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory
from tests.factories.billing import fund, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(alice):
    return logged_in_client(MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user)


def test_overview_shows_balance_usage_table_and_an_inline_svg_chart(alice, client_a, price_book, caps_a):
    fund(alice.merchant, "12.5", reference="WIRE-77")
    send(alice.merchant, channel="sms", country="GB", quantity=2)
    send(alice.merchant, channel="email", country="US")
    response = client_a.get("/billing/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "12.419" in html  # 12.5 - 0.08 - 0.001
    assert "<svg" in html and 'class="chart-bar"' in html
    assert "United Kingdom" in html and "WIRE-77" in html
    assert "<script" not in html.split("<main>")[1]  # the chart is markup, not script (CSP)
    assert "cdn" not in html.lower()


def test_overview_of_another_month_and_a_bad_month(alice, client_a, price_book):
    assert b"No messages were billed" in client_a.get("/billing/?month=2020-01").content
    response = client_a.get("/billing/?month=not-a-month")
    assert response.status_code == 200
    assert "is not a month" in response.content.decode()


def test_the_page_explains_that_sms_is_held_back_without_countries(alice, client_a):
    assert b"no country yet" in client_a.get("/billing/").content


def test_owner_edits_caps(alice, client_a):
    response = client_a.post(
        "/billing/caps/",
        {
            "monthly_limit": "300",
            "daily_limit": "",
            "sms_daily": "5",
            "whatsapp_monthly": "20",
            "allowed_countries": "us, gb DE",
        },
    )
    assert response.status_code == 302
    cap = BudgetCap.objects.get(merchant=alice.merchant)
    assert (cap.monthly_limit, cap.daily_limit) == (Decimal("300"), None)
    assert cap.allowed_countries == ["DE", "GB", "US"]
    assert cap.countries_follow_stores is False
    assert ChannelCap.objects.get(merchant=alice.merchant, channel="sms").daily_limit == Decimal("5")
    assert ChannelCap.objects.get(merchant=alice.merchant, channel="whatsapp").monthly_limit == Decimal("20")
    # clearing a channel's caps removes it
    client_a.post("/billing/caps/", {"monthly_limit": "300", "whatsapp_monthly": "20", "allowed_countries": "US"})
    assert not ChannelCap.objects.filter(merchant=alice.merchant, channel="sms").exists()
    page = client_a.get("/billing/caps/").content.decode()
    assert 'value="300.00"' in page or 'value="300"' in page


def test_bad_caps_are_form_errors_and_nothing_is_saved(alice, client_a):
    response = client_a.post("/billing/caps/", {"monthly_limit": "-1", "allowed_countries": "US, XX, Narnia"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "monthly_limit" in errors
    assert "XX" in str(errors["allowed_countries"]) and "Narnia" in str(errors["allowed_countries"])
    assert not BudgetCap.objects.filter(merchant=alice.merchant).exists()


def test_only_owners_edit_caps(viewer_client, alice):
    assert viewer_client.get("/billing/caps/").status_code == 403
    assert viewer_client.post("/billing/caps/", {"monthly_limit": "1"}).status_code == 403
    assert not BudgetCap.objects.filter(merchant=alice.merchant).exists()
    page = viewer_client.get("/billing/")
    assert page.status_code == 200 and b"/billing/caps/" not in page.content


def test_ledger_lists_entries_and_filters_by_kind(alice, client_a, price_book, caps_a):
    fund(alice.merchant, "3", reason="first payment")
    send(alice.merchant, channel="sms")
    everything = client_a.get("/billing/ledger/").content.decode()
    assert "first payment" in everything and "Usage" in everything
    top_ups = client_a.get("/billing/ledger/?kind=top_up").content.decode()
    assert "first payment" in top_ups and "-0.01" not in top_ups


def test_billing_pages_render_in_chinese(alice, client_a, price_book, caps_a):
    alice.owner.language = "zh-hans"
    alice.owner.save()
    fund(alice.merchant, "1")
    send(alice.merchant, channel="sms")
    for url in ["/billing/", "/billing/caps/", "/billing/ledger/", "/billing/statements/", "/billing/quote/"]:
        response = client_a.get(url)
        assert response.status_code == 200
        assert "账单" in response.content.decode(), url


def test_dashboard_card_shows_balance(alice, client_a, price_book):
    fund(alice.merchant, "7")
    html = client_a.get("/dashboard/").content.decode()
    assert "7.00" in html and "/billing/" in html
