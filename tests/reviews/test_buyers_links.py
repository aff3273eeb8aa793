"""Buyers' links: the review link (click once, redirect per platform, expiry), the help link in rendered
messages, and the email open pixel (never for Amazon)."""

import datetime as dt
import io
import time
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from channels.models import DeliveryEvent, OutboxMessage
from orders.models import Platform
from reviews import dispatch, links, planning
from reviews.models import Message, MessageStatus
from tests.factories.orders import OrderItemFactory, StoreFactory
from tests.factories.reviews import MessageFactory, approved_template

pytestmark = pytest.mark.django_db

HTML = (
    "<html><body><p>Hi {{ buyer.first_name }}, would you share your honest opinion in a review? "
    '<a href="{{ review_link }}">Review</a></p><p>{{ store.name }} · {{ store.postal_address }} · '
    '<a href="{{ unsubscribe_link }}">Unsubscribe</a></p></body></html>'
)


def _message(shop, *, store=None, items=(), status=MessageStatus.SENT, **order_fields):
    order = shop.order(store=store, **order_fields)
    for position, (product_id, title) in enumerate(items):
        OrderItemFactory(order=order, merchant=shop.merchant, position=position, product_id=product_id, title=title)
    return MessageFactory(
        campaign=shop.campaign, order=order, buyer=order.buyer, status=status, channel="email",
        sent_at=timezone.now(),
    )  # fmt: skip


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_review_link_click_is_recorded_once_and_later_clicks_are_counted(shop, client):
    amazon = StoreFactory(merchant=shop.merchant, platform=Platform.AMAZON, marketplace="ATVPDKIKX0DER")
    message = _message(shop, store=amazon, items=[("B0TEST0001", "Socks")])
    link = _path(dispatch.review_link(message))

    first = client.get(link)
    message.refresh_from_db()
    stamped = message.clicked_at
    assert first.status_code == 302 and stamped is not None

    assert client.get(link).status_code == 302
    message.refresh_from_db()
    assert message.clicked_at == stamped
    assert message.click_count == 2
    clicks = DeliveryEvent.objects.filter(message_ref=message.ref, event_type="clicked")
    assert clicks.count() == 1 and clicks.get().provider == "linkstar"


@pytest.mark.parametrize(
    ("platform", "marketplace", "country", "items", "expected"),
    [
        (Platform.AMAZON, "ATVPDKIKX0DER", "US", [("B0AAAA1111", "Mug")],
         "https://www.amazon.com/review/create-review?asin=B0AAAA1111"),
        (Platform.AMAZON, "Amazon.de", "DE", [("B0DE000001", "Tasse")],
         "https://www.amazon.de/review/create-review?asin=B0DE000001"),
        (Platform.AMAZON, "A1VC38T7YXB528", "JP", [("B0JP000001", "マグ")],
         "https://www.amazon.co.jp/review/create-review?asin=B0JP000001"),
        (Platform.AMAZON, "", "GB", [("B0UK000001", "Mug")],
         "https://www.amazon.co.uk/review/create-review?asin=B0UK000001"),
        (Platform.SHOPIFY, "acme.myshopify.com", "US", [("merino-socks", "Merino socks")],
         "https://acme.myshopify.com/products/merino-socks"),
        (Platform.SHOPIFY, "shop.example.com", "US", [("632910392", "Trail Running Socks")],
         "https://shop.example.com/products/trail-running-socks"),
        (Platform.WOOCOMMERCE, "https://woo.example.com/", "FR", [("93", "Chaussettes")],
         "https://woo.example.com/?post_type=product&p=93#reviews"),
    ],
)  # fmt: skip
def test_review_link_redirects_to_the_platforms_review_page(
    shop, client, platform, marketplace, country, items, expected
):  # noqa: E501
    store = StoreFactory(merchant=shop.merchant, platform=platform, marketplace=marketplace)
    message = _message(shop, store=store, items=items, ship_country=country)
    response = client.get(_path(dispatch.review_link(message)))
    assert response.status_code == 302
    assert response["Location"] == expected


def test_the_campaigns_review_site_overrides_the_platform(shop, client):
    shop.campaign.review_url = "https://www.trustpilot.com/evaluate/acme.example?ref={order_number}&p={product_id}"
    shop.campaign.save()
    store = StoreFactory(merchant=shop.merchant, platform=Platform.AMAZON, marketplace="ATVPDKIKX0DER")
    message = _message(shop, store=store, items=[("B0AAAA1111", "Mug")], number="#77")
    response = client.get(_path(dispatch.review_link(message)))
    assert response["Location"] == "https://www.trustpilot.com/evaluate/acme.example?ref=%2377&p=B0AAAA1111"


def test_a_store_without_review_page_thanks_the_buyer(shop, client):
    message = _message(shop)  # a manual store: no marketplace address
    response = client.get(_path(dispatch.review_link(message)))
    assert response.status_code == 200 and b"Thank you" in response.content


def test_expired_and_forged_review_links_are_a_clear_404(shop, client, settings):
    settings.REVIEWS_LINK_MAX_AGE_DAYS = 120
    message = _message(shop)
    made = time.time() - 121 * 86400
    with mock.patch("django.core.signing.time.time", return_value=made):
        old = _path(dispatch.review_link(message))
    expired = client.get(old)
    assert expired.status_code == 404
    assert b"not valid any more" in expired.content
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 119 * 86400):
        recent = _path(dispatch.review_link(message))
    assert client.get(recent).status_code == 200  # valid: a manual store's thank-you page

    token = old.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(reverse("reviews:review_link", args=[token[:-2] + "xx"])).status_code == 404
    # a help-page token is signed with another salt: it never opens a review link (and vice versa)
    help_token = links.help_token(order_id=message.order_id, message_ref=message.ref)
    assert client.get(reverse("reviews:review_link", args=[help_token])).status_code == 404
    review_token = links.review_token(message.ref)
    assert client.get(reverse("reviews:help", args=[review_token])).status_code == 404
    message.refresh_from_db()
    assert message.click_count == 1


def test_another_merchants_token_works_only_for_its_own_message_whoever_opens_it(shop, client_a, bob):
    from tests.reviews.conftest import make_shop

    bob_shop = make_shop(bob.merchant)
    theirs = _message(bob_shop)
    assert client_a.get(_path(dispatch.review_link(theirs))).status_code == 200  # public: Alice's session is moot
    theirs.refresh_from_db()
    assert theirs.clicked_at is not None
    # a token naming a message that does not exist is a 404
    assert client_a.get(_path(links.review_url("00000000-0000-4000-8000-000000000000"))).status_code == 404


def test_support_link_opens_the_help_page_unless_the_campaign_has_its_own(shop, client):
    message = _message(shop)
    context = dispatch.render_context(message, address="b@example.test", channel="email")
    assert context["support_link"].startswith("http://testserver/campaigns/h/")
    page = client.get(_path(context["support_link"]))
    assert page.status_code == 200 and b"Problem with your order?" in page.content

    shop.campaign.support_url = "https://support.acme.example/"
    message.campaign.support_url = "https://support.acme.example/"
    context = dispatch.render_context(message, address="b@example.test", channel="email")
    assert context["support_link"] == "https://support.acme.example/"


# --- the open pixel -------------------------------------------------------------------------------------------


def test_open_pixel_is_added_to_html_email_and_records_one_open(shop, client):
    shop.campaign.plan_steps.all().delete()
    approved_template(shop.merchant, channel="email", locale="en", name="html", body_html=HTML)
    from tests.factories.reviews import PlanStepFactory

    PlanStepFactory(campaign=shop.campaign, channel="email", account=shop.outbox, position=0, template_name="html")
    order = shop.order(days_ago=6)
    planning.plan_due_messages()
    assert dispatch.dispatch_due(max_seconds=5).sent == 1
    message = Message.objects.get(order=order)
    sent = OutboxMessage.objects.get(message_ref=message.ref)
    assert "/campaigns/o/" in sent.html_body and "pixel.gif" in sent.html_body
    assert sent.html_body.index("pixel.gif") < sent.html_body.index("</body>")
    assert "pixel.gif" not in sent.text_body

    src = sent.html_body.split('<img src="', 1)[1].split('"', 1)[0]
    for _ in range(2):
        response = client.get(_path(src))
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
        assert Image.open(io.BytesIO(response.content)).size == (1, 1)
    message.refresh_from_db()
    assert message.opened_at is not None
    assert DeliveryEvent.objects.filter(message_ref=message.ref, event_type="opened").count() == 1
    # a forged pixel still answers a GIF (mail clients) and records nothing
    assert client.get(reverse("reviews:open_pixel", args=["forged"])).status_code == 200


def _version(shop, **content):
    from templates_review.models import TemplateVersion

    approved_template(shop.merchant, channel="email", locale="en", name=content.pop("name"), **content)
    return TemplateVersion.objects.filter(template__merchant=shop.merchant, status="approved").latest("pk")


def test_open_pixel_is_never_added_for_amazon(shop):
    version = _version(shop, name="html", body_html=HTML)
    amazon = StoreFactory(merchant=shop.merchant, platform=Platform.AMAZON, marketplace="ATVPDKIKX0DER")
    message = _message(shop, store=amazon, status=MessageStatus.SENDING)
    outbound = dispatch._outbound(message, channel="email", account=shop.outbox, address="x@example.test",
                                  version=version)  # fmt: skip
    assert outbound.html_body and "pixel.gif" not in outbound.html_body

    # a template written to Amazon's profile (no remote content) gets no pixel either, whatever the store
    amazon_profile = _version(shop, name="amazon-profile", body_html=HTML)
    amazon_profile.template.marketplace = "amazon"
    amazon_profile.template.save()
    own = _message(shop, status=MessageStatus.SENDING)
    outbound = dispatch._outbound(own, channel="email", account=shop.outbox, address="x@example.test",
                                  version=amazon_profile)  # fmt: skip
    assert "pixel.gif" not in outbound.html_body
    # the same message with an own-site template does get it; and not when the campaign turns tracking off
    outbound = dispatch._outbound(own, channel="email", account=shop.outbox, address="x@example.test",
                                  version=version)  # fmt: skip
    assert "pixel.gif" in outbound.html_body
    own.campaign.track_opens = False
    outbound = dispatch._outbound(own, channel="email", account=shop.outbox, address="x@example.test",
                                  version=version)  # fmt: skip
    assert "pixel.gif" not in outbound.html_body


def test_plain_text_email_and_sms_get_no_pixel(shop):
    version = _version(shop, name="text-only")
    message = _message(shop, status=MessageStatus.SENDING)
    outbound = dispatch._outbound(message, channel="email", account=shop.outbox, address="x@example.test",
                                  version=version)  # fmt: skip
    assert outbound.html_body == "" and "pixel.gif" not in outbound.text_body


def test_links_of_a_message_expire_after_the_configured_days(shop, client, settings):
    settings.REVIEWS_LINK_MAX_AGE_DAYS = 1
    message = _message(shop)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - dt.timedelta(days=2).total_seconds()):
        help_link = _path(links.help_url(order_id=message.order_id, message_ref=message.ref))
    assert client.get(help_link).status_code == 404
