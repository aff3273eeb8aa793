"""Notices: one per event (unique key), in-app and by email in the reader's language; the weekly digest."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from billing.models import CapAlert
from channels.models import ChannelAccount
from insights import services
from insights.models import BreakerRule, BreakerTrip, Notice, NoticeKind
from orders.connectors.models import Connection
from tests.factories.accounts import UserFactory
from tests.factories.channels import ChannelAccountFactory
from tests.factories.orders import StoreFactory
from tests.factories.templates_review import TemplateVersionFactory
from tests.insights.conftest import bulk_messages, usage

pytestmark = pytest.mark.django_db


def test_a_notice_is_created_and_emailed_once_per_key(alice, django_capture_on_commit_callbacks):
    params = {"template": "Spring", "version": 2, "reason": "Offers a gift for a review"}
    with django_capture_on_commit_callbacks(execute=True):
        first = services.create_notice(
            merchant=alice.merchant, kind=NoticeKind.TEMPLATE_REJECTED, key="k1", params=params
        )
        again = services.create_notice(
            merchant=alice.merchant, kind=NoticeKind.TEMPLATE_REJECTED, key="k1", params=params
        )
    assert first is not None and again is None
    assert Notice.objects.filter(merchant=alice.merchant).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith("Template rejected: Spring")
    assert "Offers a gift for a review" in mail.outbox[0].body
    # a second sending attempt (a retried task) sends nothing
    assert services.send_notice_email(notice_id=first.pk) is False
    assert len(mail.outbox) == 1


def test_the_same_key_may_exist_for_two_merchants(alice, bob):
    for side in (alice, bob):
        assert services.create_notice(merchant=side.merchant, kind="budget_alert", key="same", params={}, email=False)


def test_emails_go_to_each_owner_in_their_language(alice, django_capture_on_commit_callbacks):
    zh_owner = UserFactory(email="zh-owner@example.test", language="zh-hans")
    Membership.objects.create(merchant=alice.merchant, user=zh_owner, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        services.create_notice(
            merchant=alice.merchant,
            kind=NoticeKind.ACCOUNT_FAILING,
            key="acc",
            params={"account": "Postmark", "error": "401"},
        )
    by_to = {m.to[0]: m for m in mail.outbox}
    assert "Channel account failing: Postmark" in by_to[alice.owner.email].subject
    assert "渠道账户" in by_to["zh-owner@example.test"].subject


def test_collect_notices_hears_budget_alerts_rejections_failing_stores_and_accounts(
    alice, django_capture_on_commit_callbacks
):
    merchant = alice.merchant
    CapAlert.objects.create(
        merchant=merchant, scope="month", channel="", period_start=dt.date(2026, 11, 1), threshold=80,
        limit=Decimal("100"), spent=Decimal("81.5"),
    )  # fmt: skip
    version = TemplateVersionFactory(merchant=merchant)
    from templates_review import services as templates

    templates.submit_version(version=version, user=None)
    templates.reject_version(version=version, reviewer=UserFactory(is_staff=True), reason="Asks for 5 stars")
    Connection.objects.create(
        merchant=merchant, kind="shopify", store=StoreFactory(merchant=merchant), label="Alice Shopify",
        credentials={}, consecutive_failures=3, last_error="401 Unauthorized",
    )  # fmt: skip
    ChannelAccountFactory(
        merchant=merchant, name="Twilio", status=ChannelAccount.Status.FAILING, last_error="20003 auth",
        last_error_at=timezone.now(),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert services.collect_notices() == 4
        assert services.collect_notices() == 0  # heard once
    kinds = set(Notice.objects.filter(merchant=merchant).values_list("kind", flat=True))
    assert kinds == {"budget_alert", "template_rejected", "store_failing", "account_failing"}
    # billing already emails its cap alerts: the notice is in-app only, the three others are emailed
    assert len(mail.outbox) == 3
    assert any("Asks for 5 stars" in m.body for m in mail.outbox)


def test_notices_page_lists_and_marks_read_only_the_merchants_own(alice, bob, client_a):
    mine = services.create_notice(
        merchant=alice.merchant, kind="store_failing", key="s", params={"store": "Woo", "failures": 3, "error": "x"},
        email=False,
    )  # fmt: skip
    theirs = services.create_notice(merchant=bob.merchant, kind="budget_alert", key="b", params={}, email=False)
    page = client_a.get(reverse("insights:notices")).content.decode()
    assert "Store connection failing: Woo" in page
    assert 'class="badge badge-danger">1<' in page  # the bell's count
    client_a.post(reverse("insights:notices_read_all"))
    assert Notice.objects.get(pk=mine.pk).read_at is not None
    assert Notice.objects.get(pk=theirs.pk).read_at is None
    assert client_a.post(reverse("insights:notice_read", args=[theirs.pk])).status_code == 404


def test_mark_one_notice_read(alice, client_a):
    notice = services.create_notice(merchant=alice.merchant, kind="budget_alert", key="x", params={}, email=False)
    response = client_a.post(reverse("insights:notice_read", args=[notice.pk]))
    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).read_at is not None


def test_notices_render_in_chinese(alice, client_a):
    services.create_notice(
        merchant=alice.merchant, kind="store_failing", key="s", params={"store": "Woo", "failures": 3, "error": "x"},
        email=False,
    )  # fmt: skip
    client_a.post(reverse("accounts:set_language"), {"language": "zh-hans", "next": "/"})
    page = client_a.get(reverse("insights:notices")).content.decode()
    assert "店铺连接" in page


def test_weekly_digest_counts_last_week_and_is_sent_once(alice, django_capture_on_commit_callbacks):
    from tests.factories.reviews import CampaignFactory

    merchant = alice.merchant
    campaign = CampaignFactory(merchant=merchant)
    monday = dt.date(2026, 11, 16)
    in_week = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)
    sent = bulk_messages(campaign, 5, status="sent", sent_at=in_week, send_at=in_week)
    bulk_messages(campaign, 2, status="sent", sent_at=in_week, send_at=in_week + dt.timedelta(days=7))  # next week
    from reviews.models import Message

    Message.objects.filter(pk__in=[m.pk for m in sent[:2]]).update(clicked_at=in_week)
    usage(sent, "0.02")
    BreakerTrip.objects.create(
        merchant=merchant, account=ChannelAccountFactory(merchant=merchant), rule=BreakerRule.COMPLAINTS, key="t",
        rate="0.01", threshold="0.003", numerator=1, denominator=100, window_start=in_week, window_end=in_week,
        reason="r", tripped_at=in_week,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_weekly_digests(today=dt.date(2026, 11, 25)) >= 1
        assert services.send_weekly_digests(today=dt.date(2026, 11, 26)) == 0  # same week: once
    notice = Notice.objects.get(merchant=merchant, kind="weekly_digest")
    assert notice.key == "digest:2026-W47"
    expected = {"start": "2026-11-16", "end": "2026-11-22", "sent": 5, "review_clicks": 2,
                                  "cost": "0.10", "trips": 1}  # fmt: skip
    assert {k: notice.params[k] for k in expected} == expected
    [email] = [m for m in mail.outbox if m.to == [alice.owner.email]]
    assert "5 messages sent, 2 review-link clicks" in email.body
    has_tickets = notice.params["tickets"] is not None
    assert ("service-recovery tickets" in email.body) == has_tickets
    assert services.last_week_start(dt.date(2026, 11, 25)) == monday
