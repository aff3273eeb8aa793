"""The gating audit: invitation rates by satisfaction answer, counted by hand; CSV and the statement."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.audit import gating_audit
from reviews.models import MessageStatus, SatisfactionAnswer
from tests.factories.reviews import CampaignFactory, MessageFactory

pytestmark = pytest.mark.django_db


def _row(shop, campaign, status, answer=None, *, code="", reminder=None, days_ago=1):
    order = shop.order(days_ago=6)
    message = MessageFactory(campaign=campaign, order=order, buyer=order.buyer, status=status, reason_code=code)
    if days_ago != 0:
        type(message).objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    if reminder:
        MessageFactory(campaign=campaign, order=order, buyer=order.buyer, status=reminder, step=2)
    if answer:
        SatisfactionAnswer.objects.create(
            merchant=shop.merchant, order=order, message=message, answer=answer, answered_at=timezone.now()
        )
    return order


@pytest.fixture
def audited(shop, bob):
    """Eight orders of Alice's campaign, and what the audit must say about them (computed by hand below)."""
    c = shop.campaign
    _row(shop, c, MessageStatus.SENT, "happy")
    _row(shop, c, MessageStatus.DELIVERED, "unhappy")
    _row(shop, c, MessageStatus.SENT)
    _row(shop, c, MessageStatus.SKIPPED, code="no_consent")
    _row(shop, c, MessageStatus.PLANNED, "neutral")
    _row(shop, c, MessageStatus.FAILED, "neutral", code="permanent_failure", reminder=MessageStatus.SENT)
    _row(shop, c, MessageStatus.HELD_OUT, "unhappy", code="held_out")  # the control group: not counted
    _row(shop, c, MessageStatus.SENT, "happy", days_ago=200)  # outside the period
    other = CampaignFactory(merchant=shop.merchant, name="Delivery follow-up", purpose="delivery_followup")
    _row(shop, other, MessageStatus.SENT, "happy")  # not a review request
    from tests.reviews.conftest import make_shop

    bobs = make_shop(bob.merchant)
    _row(bobs, bobs.campaign, MessageStatus.SKIPPED, "unhappy", code="no_consent")  # another merchant
    return shop


def _figures(groups):
    return {g.key: (g.orders, g.invited, g.waiting, g.not_invited, dict(g.reasons)) for g in groups}


def test_gating_audit_counts_equal_the_hand_computed_numbers(audited):
    today = timezone.localdate()
    audit = gating_audit(audited.merchant, date_from=today - dt.timedelta(days=30), date_to=today)
    # none:    sent, skipped (no_consent)               -> 2 orders, 1 invited, 1 not invited
    # happy:   sent                                     -> 1 order, 1 invited
    # neutral: planned (waiting), failed + reminder sent -> 2 orders, 1 invited (the reminder), 1 waiting
    # unhappy: delivered (held-out one not counted)     -> 1 order, 1 invited
    assert _figures(audit.groups) == {
        "none": (2, 1, 0, 1, {"no_consent": 1}),
        "happy": (1, 1, 0, 0, {}),
        "neutral": (2, 1, 1, 0, {}),
        "unhappy": (1, 1, 0, 0, {}),
    }
    assert [g.rate for g in audit.groups] == [0.5, 1.0, 0.5, 1.0]
    assert audit.total_orders == 6
    assert not audit.answered_rates_equal
    assert [c["name"] for c in audit.campaigns] == [audited.campaign.name]

    longer = gating_audit(audited.merchant, date_from=today - dt.timedelta(days=365), date_to=today)
    assert _figures(longer.groups)["happy"] == (2, 2, 0, 0, {})


def test_equal_rates_are_reported_as_equal(shop):
    for answer in (None, "happy", "neutral", "unhappy"):
        _row(shop, shop.campaign, MessageStatus.SENT, answer)
    today = timezone.localdate()
    audit = gating_audit(shop.merchant, date_from=today - dt.timedelta(days=7), date_to=today)
    assert [g.rate for g in audit.groups] == [1.0] * 4 and audit.answered_rates_equal


def test_the_audit_page_exports_csv_and_prints_a_statement(audited, client_a):
    today = timezone.localdate()
    query = {"date_from": (today - dt.timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    page = client_a.get(reverse("reviews:gating_audit"), query)
    assert page.status_code == 200 and audited.campaign.name in page.content.decode()

    exported = client_a.get(reverse("reviews:gating_audit"), {**query, "export": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    totals = {r["satisfaction_answer"]: r for r in rows if r["campaign"] == "ALL"}
    assert (totals["none"]["orders"], totals["none"]["invited"], totals["none"]["rate"]) == ("2", "1", "0.5000")
    assert (totals["unhappy"]["orders"], totals["unhappy"]["invited"]) == ("1", "1")

    statement = client_a.get(reverse("reviews:gating_statement"), query).content.decode()
    assert "16 CFR Part 465" in statement and audited.merchant.name in statement
    assert f"{today - dt.timedelta(days=30):%Y-%m-%d}" in statement and "50.0 %" in statement

    bad = client_a.get(reverse("reviews:gating_audit"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert bad.status_code == 200 and "must end after it starts" in bad.content.decode()
