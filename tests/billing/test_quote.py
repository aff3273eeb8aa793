from decimal import Decimal

import pytest

from billing.quotes import Volume, estimate_cost, volumes_from_mix
from tests.factories.billing import PlanFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

MIX = {
    "monthly_orders": 1000,
    "messages_per_order": 2,
    "channel_shares": {
        "email": Decimal(60),
        "sms": Decimal(10),
        "whatsapp": Decimal(0),
        "amazon_solicitation": Decimal(30),
    },
    "country_shares": {"US": Decimal(60), "GB": Decimal(40)},
    "sms_segments": 2,
}


def test_volumes_from_a_mix():
    volumes = {(v.channel, v.country): (v.messages, v.units_per_message) for v in volumes_from_mix(**MIX)}
    assert volumes == {
        ("email", "US"): (720, 1),
        ("email", "GB"): (480, 1),
        ("sms", "US"): (120, 2),
        ("sms", "GB"): (80, 2),
        ("amazon_solicitation", "US"): (180, 1),  # Amazon: one solicitation per order
        ("amazon_solicitation", "GB"): (120, 1),
    }


def test_quote_arithmetic_without_a_plan(price_book):
    quote = estimate_cost(volumes=volumes_from_mix(**MIX))
    amounts = {(line.channel, line.country): line.amount for line in quote.lines}
    assert amounts[("email", "US")] == Decimal("0.72")
    assert amounts[("sms", "US")] == Decimal("2.40")  # 240 segments x 0.01
    assert amounts[("sms", "GB")] == Decimal("6.40")  # 160 segments x 0.04 (country price over '*')
    assert quote.usage_total == Decimal("10.00")
    assert quote.total == Decimal("10.00") and quote.plan_fee == 0
    assert quote.price_book_version == price_book.version


def test_quote_applies_the_plan_fee_and_included_volume(alice, price_book):
    plan = PlanFactory(monthly_fee=Decimal("10"), included_sms=50, included_email=1000)
    SubscriptionFactory(merchant=alice.merchant, plan=plan)
    quote = estimate_cost(
        merchant=alice.merchant,
        volumes=[Volume("email", "US", "marketing", 1200), Volume("sms", "GB", "marketing", 100, units_per_message=2)],
    )
    email, sms = quote.lines
    assert (email.included_units, email.amount) == (1000, Decimal("0.2"))
    assert (sms.units, sms.included_units, sms.billable_units, sms.amount) == (200, 50, 150, Decimal("6"))
    assert quote.total == Decimal("16.2")
    # a campaign whose month already used its allowance
    assert estimate_cost(
        merchant=alice.merchant, volumes=[Volume("sms", "GB", "marketing", 1)], apply_included=False
    ).total == Decimal("10.04")


def test_an_unpriced_volume_is_reported_and_left_out(db):
    from tests.factories.billing import price_book_with

    price_book_with(prices=[("email", "*", "marketing", "0.001")])
    quote = estimate_cost(volumes=[Volume("whatsapp", "US", "marketing", 10), Volume("email", "US", "marketing", 10)])
    assert [line.channel for line in quote.unpriced] == ["whatsapp"]
    assert quote.total == Decimal("0.01")


def test_bad_volumes_are_refused():
    with pytest.raises(ValueError):
        Volume("fax", "US", "marketing", 1)
    with pytest.raises(ValueError):
        Volume("sms", "US", "marketing", 1, units_per_message=0)


def test_quote_page(client_a, price_book):
    params = {
        "monthly_orders": "1000",
        "messages_per_order": "2",
        "email_share": "60",
        "sms_share": "10",
        "whatsapp_share": "0",
        "amazon_solicitation_share": "30",
        "sms_segments": "2",
        "message_class": "marketing",
        "countries": "US 60, gb:40",
    }
    response = client_a.get("/billing/quote/", params)
    assert response.status_code == 200
    assert response.context["quote"].total == Decimal("10.00")
    assert 'id="quote-total">10.00' in response.content.decode()


@pytest.mark.parametrize(
    ("countries", "message"),
    [("US 60, GB 20", "add up to 80"), ("US 50, XX 50", "Could not read"), ("", "required")],
)
def test_quote_page_explains_bad_countries(client_a, price_book, countries, message):
    response = client_a.get(
        "/billing/quote/",
        {
            "monthly_orders": "10",
            "messages_per_order": "1",
            "sms_segments": "1",
            "email_share": "100",
            "sms_share": "0",
            "whatsapp_share": "0",
            "amazon_solicitation_share": "0",
            "message_class": "marketing",
            "countries": countries,
        },
    )
    assert response.status_code == 200
    assert response.context["quote"] is None
    assert message in str(response.context["form"].errors["countries"])


def test_quote_page_starts_empty(client_a):
    response = client_a.get("/billing/quote/")
    assert response.status_code == 200 and response.context["quote"] is None
