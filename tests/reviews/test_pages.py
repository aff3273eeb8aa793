"""Merchant pages: list, editor, overview and its buttons, dry run, send log, message, order page, review link."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews import dispatch, planning
from reviews.codes import Code
from reviews.models import Campaign, Message, MessageStatus
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory

pytestmark = pytest.mark.django_db


def _editor_post(shop, **overrides):
    data = {
        "name": "Spring reviews",
        "purpose": "review_request",
        "message_class": "utility",
        "delay_days": "5",
        "max_age_days": "45",
        "window_start": "09:00",
        "window_end": "20:00",
        "send_days": ["0", "1", "2", "3", "4"],
        "cap_messages": "2",
        "cap_days": "30",
        "min_gap_hours": "16",
        "holdout_percent": "5",
        "countries_exclude": "de, fr",
        "plan-TOTAL_FORMS": "2",
        "plan-INITIAL_FORMS": "0",
        "plan-0-country": "*",
        "plan-0-position": "1",
        "plan-0-channel": "email",
        "plan-0-account": str(shop.outbox.pk),
        "plan-1-country": "",
        "plan-1-channel": "",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-0-name": "A",
        "variants-0-weight": "2",
    }
    data.update(overrides)
    return data


def test_an_operator_creates_a_campaign_with_its_plan_and_variants(shop, client_a):
    response = client_a.post(reverse("reviews:create"), _editor_post(shop))
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Spring reviews")
    assert campaign.status == "draft"
    assert campaign.countries_exclude == ["DE", "FR"]
    assert campaign.send_days == [0, 1, 2, 3, 4]
    assert list(campaign.plan_steps.values_list("country", "position", "channel")) == [("*", 0, "email")]
    assert list(campaign.variants.values_list("name", "weight")) == [("A", 2)]


def test_the_editor_refuses_a_window_that_ends_before_it_starts(shop, client_a):
    response = client_a.post(reverse("reviews:create"), _editor_post(shop, window_end="08:00"))
    assert response.status_code == 200
    assert "must end after it starts" in response.content.decode()
    assert not Campaign.objects.filter(name="Spring reviews").exists()


def test_the_editor_refuses_another_merchants_account(shop, client_a, bob):
    from tests.factories.channels import ChannelAccountFactory

    foreign = ChannelAccountFactory(merchant=bob.merchant)
    response = client_a.post(reverse("reviews:create"), _editor_post(shop, **{"plan-0-account": str(foreign.pk)}))
    assert response.status_code == 200
    assert not Campaign.objects.filter(name="Spring reviews").exists()


def test_a_viewer_sees_campaigns_but_cannot_edit_or_pause(shop, alice):
    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    client = logged_in_client(viewer)
    assert client.get(reverse("reviews:list")).status_code == 200
    assert client.get(reverse("reviews:edit", args=[shop.campaign.pk])).status_code == 403
    assert client.post(reverse("reviews:status", args=[shop.campaign.pk]), {"action": "pause"}).status_code == 403
    shop.campaign.refresh_from_db()
    assert shop.campaign.status == "active"


def test_pause_resume_and_stop_buttons(shop, client_a):
    url = reverse("reviews:status", args=[shop.campaign.pk])
    client_a.post(url, {"action": "pause"})
    shop.campaign.refresh_from_db()
    assert shop.campaign.status == "paused"
    page = client_a.get(reverse("reviews:detail", args=[shop.campaign.pk])).content.decode()
    assert "This campaign is paused" in page
    client_a.post(url, {"action": "resume"})
    shop.campaign.refresh_from_db()
    assert shop.campaign.status == "active"
    client_a.post(url, {"action": "stop"})
    shop.campaign.refresh_from_db()
    assert shop.campaign.status == "stopped"
    response = client_a.post(url, {"action": "resume"}, follow=True)
    assert "cannot become" in response.content.decode()


def test_test_mode_shows_a_banner_on_every_page_of_the_campaign(shop, client_a):
    shop.campaign.test_mode = True
    shop.campaign.test_recipients = ["qa@example.test"]
    shop.campaign.save()
    for name in ("reviews:detail", "reviews:edit", "reviews:dry_run"):
        page = client_a.get(reverse(name, args=[shop.campaign.pk])).content.decode()
        assert "Test mode: this campaign contacts only its test recipients." in page, name


def test_the_dry_run_counts_who_would_get_a_message_and_why_not_the_others(shop, client_a):
    shop.campaign.countries_exclude = ["DE"]
    shop.campaign.save()
    shop.order(days_ago=6)
    shop.order(days_ago=3)  # due within the next seven days
    shop.order(days_ago=6, ship_country="DE")
    shop.order(days_ago=6, buyer_fields={"email": ""})
    shop.order(days_ago=6, refunded=True)
    response = client_a.get(reverse("reviews:dry_run", args=[shop.campaign.pk]))
    run = response.context["run"]
    assert run.would_send == 2
    assert run.reasons == {Code.COUNTRY_EXCLUDED: 1, Code.NO_CONTACT: 1, Code.REFUNDED: 1}
    assert not Message.objects.exists()  # nothing planned, nothing sent


def test_the_send_log_filters_by_status_code_channel_and_country(shop, client_a):
    shop.campaign.countries_exclude = ["DE"]
    shop.campaign.save()
    sent = shop.order(days_ago=6)
    skipped = shop.order(days_ago=6, ship_country="DE")
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    url = reverse("reviews:log")
    by_code = client_a.get(url, {"code": Code.COUNTRY_EXCLUDED}).context["page"].object_list
    assert [m.order_id for m in by_code] == [skipped.pk]
    by_status = client_a.get(url, {"status": "sent", "channel": "email", "country": "us"}).context["page"]
    assert [m.order_id for m in by_status.object_list] == [sent.pk]
    page = client_a.get(url, {"code": Code.COUNTRY_EXCLUDED}).content.decode()
    assert "Ship-to country excluded" in page


def test_reason_codes_read_in_chinese(shop, alice):
    alice.owner.language = "zh-hans"
    alice.owner.save()
    client = logged_in_client(alice.owner)
    shop.campaign.countries_exclude = ["DE"]
    shop.campaign.save()
    shop.order(days_ago=6, ship_country="DE")
    planning.plan_due_messages()
    page = client.get(reverse("reviews:log"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "收货国家已被排除" in page


def test_the_order_page_shows_its_messages_and_why_not(shop, client_a):
    order = shop.order(days_ago=6)
    early = shop.order(days_ago=1)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    page = client_a.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Review requests" in page and shop.campaign.name in page and "Sent" in page
    page = client_a.get(reverse("orders:detail", args=[early.pk])).content.decode()
    assert Code.NOT_DUE.value in page


def test_the_message_page_lists_attempts(shop, client_a):
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    dispatch.dispatch_due(max_seconds=5)
    message = Message.objects.get(order=order)
    page = client_a.get(reverse("reviews:message", args=[message.pk])).content.decode()
    assert str(message.message_ref) in page and "accepted" in page


def test_unknown_messages_are_shown_to_the_merchant(shop, client_a):
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    Message.objects.filter(order=order).update(status=MessageStatus.UNKNOWN, reason_code=Code.LEASE_EXPIRED)
    page = client_a.get(reverse("reviews:list")).content.decode()
    assert "may or may not have been sent" in page


def test_a_forged_review_link_is_not_found(client):
    assert client.get(reverse("reviews:review_link", args=["forged"])).status_code == 404


def test_the_review_link_records_the_click_and_redirects(shop, client):
    shop.campaign.review_url = "https://reviews.example/write?o={order_number}"
    shop.campaign.save()
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    message = Message.objects.get(order=order)
    link = dispatch.review_link(message).replace("http://testserver", "")
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"https://reviews.example/write?o={quote(order.number, safe='')}"
    message.refresh_from_db()
    assert message.clicked_at is not None
    first = message.clicked_at
    client.get(link)
    message.refresh_from_db()
    assert message.clicked_at == first


def test_the_global_stop_banner_shows_on_campaign_pages(shop, client_a):
    from reviews.services import set_global_stop

    set_global_stop(stopped=True, reason="provider incident")
    page = client_a.get(reverse("reviews:list")).content.decode()
    assert "provider incident" in page
