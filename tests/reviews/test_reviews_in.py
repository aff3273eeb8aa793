"""Reviews in: CSV and API imports with row-level errors, the order marked reviewed (no later step), and
attribution to the request sent within the window."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderEvent
from reviews import dispatch, planning, services
from reviews.codes import Code
from reviews.models import Message, MessageStatus, ReceivedReview
from tests.factories.orders import OrderItemFactory
from tests.factories.reviews import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _utc_merchant(shop):
    shop.merchant.default_time_zone = "UTC"
    shop.merchant.save()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("reviews.csv", text.encode("utf-8"), content_type="text/csv")


def test_csv_import_reports_bad_rows_by_line_and_imports_the_good_ones(shop, client_a):
    order = shop.order(external_id="111-2223334-5556667")
    OrderItemFactory(order=order, merchant=shop.merchant, product_id="B0SOCKS001")
    other = shop.order(external_id="A-2")
    today = timezone.localdate().isoformat()
    future = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    content = (
        "Order ID,Rating,Date,Title,Text\n"
        f"111-2223334-5556667,5,{today},Warm,Very warm socks\n"  # 2: good
        f"A-2,6,{today},,\n"  # 3: rating out of range
        "A-2,4,,,\n"  # 4: no date
        f"NOPE-1,4,{today},,\n"  # 5: unknown order
        f"A-2,4,{future},,\n"  # 6: future date
        f"111-2223334-5556667,5,{today},Warm,Very warm socks\n"  # 7: the same review again
        f"A-2,3.0,{today},Fine,\n"  # 8: good (3.0 is a whole number)
    )
    response = client_a.post(reverse("reviews:received"), {"file": _csv(content)})
    assert response.status_code == 200
    report = response.context["report"]
    assert [(e["line"], e["field"]) for e in report.errors] == [
        (3, "rating"), (4, "date"), (5, "order_id"), (6, "date"),
    ]  # fmt: skip
    assert (report.rows, report.created, report.duplicates) == (7, 2, 1)
    reviews = {r.order_id: r for r in ReceivedReview.objects.all()}
    assert set(reviews) == {order.pk, other.pk}
    assert (reviews[order.pk].rating, reviews[order.pk].asin, reviews[order.pk].source) == (5, "B0SOCKS001", "csv")
    assert reviews[other.pk].rating == 3
    body = response.content.decode()
    assert "No such order." in body and "whole number from 1 to 5" in body

    again = client_a.post(reverse("reviews:received"), {"file": _csv(content)})
    assert again.context["report"].created == 0 and ReceivedReview.objects.count() == 2


def test_a_csv_without_the_needed_columns_is_refused_as_a_whole(shop, client_a):
    response = client_a.post(reverse("reviews:received"), {"file": _csv("Stars,When\n5,2026-01-01\n")})
    assert response.status_code == 400
    assert "Missing columns" in response.content.decode()
    assert not ReceivedReview.objects.exists()


def test_a_review_marks_its_order_reviewed_with_an_event(shop):
    order = shop.order()
    report = services.import_reviews(
        merchant=shop.merchant, rows=[(1, {"order_id": order.external_id, "rating": 2, "date": "2026-11-01"})],
        source="api",
    )  # fmt: skip
    assert report.ok and report.orders_marked == 1
    order.refresh_from_db()
    assert order.buyer_reviewed
    event = OrderEvent.objects.get(order=order, type=OrderEvent.Type.REVIEWED)
    assert event.occurred_at.date() == dt.date(2026, 11, 1) and event.source == "api"


def test_an_asin_only_review_is_kept_without_an_order(shop):
    report = services.import_reviews(
        merchant=shop.merchant, rows=[(1, {"asin": "B0ONLY0001", "rating": 4, "date": "2026-11-02"})], source="api"
    )
    review = report.reviews[0]
    assert (review.order_id, review.asin, review.attributed_message_id) == (None, "B0ONLY0001", None)


def test_a_reviewed_order_gets_no_reminder_and_is_not_planned_again(shop):
    shop.campaign.reminder_days = 3
    shop.campaign.save()
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    assert dispatch.dispatch_due(max_seconds=5).sent == 1
    reminder = Message.objects.get(order=order, step=2)
    assert reminder.status == MessageStatus.PLANNED

    services.import_reviews(
        merchant=shop.merchant,
        rows=[(1, {"order_id": order.external_id, "rating": 5, "date": timezone.localdate().isoformat()})],
        source="api",
    )
    dispatch.dispatch_batch(now=reminder.send_at + dt.timedelta(minutes=1))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.reason_code) == (MessageStatus.SKIPPED, Code.ALREADY_REVIEWED)
    first = Message.objects.get(order=order, step=1)
    assert first.status == MessageStatus.SENT
    review = ReceivedReview.objects.get()
    assert review.attributed_message_id == first.pk


def _sent_at(shop, order, at, campaign=None):
    return MessageFactory(
        campaign=campaign or shop.campaign, order=order, buyer=order.buyer, status=MessageStatus.SENT,
        sent_at=at,
    )  # fmt: skip


def _import(shop, order, day):
    report = services.import_reviews(
        merchant=shop.merchant,
        rows=[(1, {"order_id": order.external_id, "rating": 4, "date": day.isoformat()})],
        source="api",
    )
    assert report.ok, report.errors
    return report.reviews[0]


@pytest.mark.parametrize(
    ("sent", "attributed"),
    [
        (dt.datetime(2026, 10, 2, 0, 0, tzinfo=dt.UTC), True),  # exactly 30 days before the review's day
        (dt.datetime(2026, 10, 1, 23, 59, 59, tzinfo=dt.UTC), False),  # one second earlier
        (dt.datetime(2026, 11, 1, 23, 59, 59, tzinfo=dt.UTC), True),  # the review's own day
        (dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC), False),  # after the review
    ],
)
def test_attribution_window_edges(shop, sent, attributed):
    shop.campaign.attribution_days = 30
    shop.campaign.save()
    order = shop.order()
    message = _sent_at(shop, order, sent)
    review = _import(shop, order, dt.date(2026, 11, 1))
    assert review.attributed_message_id == (message.pk if attributed else None)


def test_the_most_recent_request_in_the_window_gets_the_review(shop):
    from tests.factories.reviews import CampaignFactory

    order = shop.order()
    _sent_at(shop, order, dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
    later_campaign = CampaignFactory(merchant=shop.merchant, attribution_days=5)
    recent = _sent_at(shop, order, dt.datetime(2026, 10, 29, tzinfo=dt.UTC), campaign=later_campaign)
    failed = _sent_at(
        shop, order, dt.datetime(2026, 10, 31, tzinfo=dt.UTC), campaign=CampaignFactory(merchant=shop.merchant)
    )
    Message.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED)  # never reached the buyer
    assert _import(shop, order, dt.date(2026, 11, 1)).attributed_message_id == recent.pk


def test_the_api_takes_a_list_and_stores_nothing_when_one_item_is_bad(shop, api_a):
    a, b = shop.order(external_id="API-1"), shop.order(external_id="API-2")
    bad = api_a.post(
        "/api/v1/reviews/",
        [{"order_id": "API-1", "rating": 5, "date": "2026-11-01"}, {"order_id": "API-2", "rating": 0, "date": "x"}],
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"index": 1, "field": "date", "message": "Give the review's date (YYYY-MM-DD)."},
        {"index": 1, "field": "rating", "message": "The rating must be a whole number from 1 to 5."},
    ]
    assert not ReceivedReview.objects.exists()
    a.refresh_from_db()
    assert not a.buyer_reviewed

    good = api_a.post(
        "/api/v1/reviews/",
        [{"order_id": "API-1", "rating": 5, "date": "2026-11-01", "title": "Great"},
         {"order_id": "API-2", "rating": 1, "date": "2026-11-02"}],
        format="json",
    )  # fmt: skip
    assert good.status_code == 201
    assert (good.json()["created"], good.json()["orders_marked"]) == (2, 2)
    single = api_a.post("/api/v1/reviews", {"asin": "B0SINGLE01", "rating": 4, "date": "2026-11-03"}, format="json")
    assert single.status_code == 201 and single.json()["reviews"][0]["asin"] == "B0SINGLE01"
    listed = api_a.get("/api/v1/reviews/").json()
    assert {r["title"] for r in listed["results"]} == {"Great", ""}
    b.refresh_from_db()
    assert b.buyer_reviewed


def test_the_api_does_not_find_another_merchants_order(shop, api_a, bob):
    from tests.factories.orders import OrderFactory, StoreFactory

    theirs = OrderFactory(store=StoreFactory(merchant=bob.merchant), external_id="BOB-1")
    response = api_a.post("/api/v1/reviews/", {"order_id": "BOB-1", "rating": 5, "date": "2026-11-01"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["message"] == "No such order."
    theirs.refresh_from_db()
    assert not theirs.buyer_reviewed
