"""The help page: a ticket from the buyer's form (photo checked, abuse limited, CSRF), in the buyer's
language; the optional satisfaction question; insert cards; and no gating: answers and tickets change no
invitation."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from reviews import dispatch, links, planning
from reviews.models import (
    Message,
    MessageStatus,
    SatisfactionAnswer,
    ServiceRecoveryTicket,
    TicketSource,
    TicketStatus,
)
from tests.factories.reviews import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _sent(shop, **order_fields):
    order = shop.order(**order_fields)
    return MessageFactory(
        campaign=shop.campaign, order=order, buyer=order.buyer, status=MessageStatus.SENT, channel="email",
        sent_at=timezone.now(),
    )  # fmt: skip


def _help(message) -> str:
    return reverse("reviews:help", args=[links.help_token(order_id=message.order_id, message_ref=message.ref)])


def _photo(fmt="PNG", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(f"broken.{fmt.lower()}", buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_help_form_opens_a_ticket_with_a_checked_photo(shop, client):
    message = _sent(shop)
    response = client.post(
        _help(message), {"reason": "damaged", "text": "The lid is cracked.", "photo": _photo()}, format="multipart"
    )
    assert response.status_code == 200
    assert b"The seller received your message" in response.content
    ticket = ServiceRecoveryTicket.objects.get()
    assert (ticket.merchant_id, ticket.order_id, ticket.message_id) == (shop.merchant.pk, message.order_id, message.pk)
    assert (ticket.reason, ticket.text, ticket.source, ticket.status) == (
        "damaged", "The lid is cracked.", TicketSource.HELP_PAGE, TicketStatus.OPEN,
    )  # fmt: skip
    assert ticket.photo.name.startswith(f"recovery/{shop.merchant.pk}/") and ticket.photo.name.endswith(".png")
    with ticket.photo.open("rb") as stored:
        assert Image.open(stored).size == (40, 30)


def test_a_file_that_is_not_a_photo_or_too_large_is_refused_and_opens_nothing(shop, client, settings):
    message = _sent(shop)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(_help(message), {"reason": "damaged", "text": "x", "photo": fake})
    assert response.status_code == 400 and b"not a photo we can read" in response.content
    gif = _photo("GIF")
    response = client.post(_help(message), {"reason": "damaged", "text": "x", "photo": gif})
    assert b"JPEG, PNG or WebP" in response.content
    settings.REVIEWS_PHOTO_MAX_BYTES = 100
    response = client.post(_help(message), {"reason": "damaged", "text": "x", "photo": _photo(size=(300, 300))})
    assert b"too large" in response.content
    assert not ServiceRecoveryTicket.objects.exists()


def test_one_open_ticket_per_order_and_reason_within_the_window(shop, client, settings):
    settings.REVIEWS_TICKET_WINDOW_HOURS = 24
    message = _sent(shop)
    client.post(_help(message), {"reason": "damaged", "text": "first"})
    again = client.post(_help(message), {"reason": "damaged", "text": "second"})
    assert b"We already have your request" in again.content
    assert ServiceRecoveryTicket.objects.count() == 1
    client.post(_help(message), {"reason": "wrong_item", "text": "also the colour"})
    assert ServiceRecoveryTicket.objects.count() == 2
    # once resolved, or older than the window, the same reason opens a new ticket
    ServiceRecoveryTicket.objects.filter(reason="damaged").update(status=TicketStatus.RESOLVED)
    client.post(_help(message), {"reason": "damaged", "text": "broke again"})
    ServiceRecoveryTicket.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    client.post(_help(message), {"reason": "damaged", "text": "a day later"})
    assert ServiceRecoveryTicket.objects.filter(reason="damaged").count() == 3


def test_the_help_form_needs_its_csrf_token(shop):
    message = _sent(shop)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_help(message), {"reason": "damaged"}).status_code == 403
    page = strict.get(_help(message))
    token = page.cookies["csrftoken"].value
    assert strict.post(_help(message), {"reason": "damaged", "csrfmiddlewaretoken": token}).status_code == 200
    assert ServiceRecoveryTicket.objects.count() == 1


def test_the_help_page_speaks_the_buyers_language_and_falls_back_to_english(shop, client):
    chinese = _sent(shop, buyer_fields={"language": "zh-CN"})
    page = client.get(_help(chinese))
    assert page["Content-Language"] == "zh-hans"
    assert "订单有问题？" in page.content.decode()
    german = _sent(shop, buyer_fields={"language": "de"})
    page = client.get(_help(german))
    assert page["Content-Language"] == "en" and b"Problem with your order?" in page.content


def test_every_buyer_sees_the_same_neutral_review_link(shop, client):
    shop.campaign.satisfaction_check = True
    shop.campaign.save()
    happy, unhappy = _sent(shop), _sent(shop)
    client.post(reverse("reviews:satisfaction", args=[_help(happy).split("/")[-2]]), {"answer": "happy"})
    client.post(reverse("reviews:satisfaction", args=[_help(unhappy).split("/")[-2]]), {"answer": "unhappy"})
    for message in (happy, unhappy):
        body = client.get(_help(message)).content.decode()
        assert links.review_url(message.ref) in body and "Leave a review" in body


def test_the_satisfaction_question_is_asked_only_when_the_campaign_turns_it_on(shop, client):
    message = _sent(shop)
    token = _help(message).split("/")[-2]
    assert b"How was your order?" not in client.get(_help(message)).content
    assert client.post(reverse("reviews:satisfaction", args=[token]), {"answer": "unhappy"}).status_code == 404
    assert not SatisfactionAnswer.objects.exists()

    shop.campaign.satisfaction_check = True
    shop.campaign.save()
    assert b"How was your order?" in client.get(_help(message)).content
    answered = client.post(reverse("reviews:satisfaction", args=[token]), {"answer": "happy"})
    assert answered.status_code == 302 and answered["Location"].endswith("?answered=1")
    assert SatisfactionAnswer.objects.get().answer == "happy"
    assert not ServiceRecoveryTicket.objects.exists()
    client.post(reverse("reviews:satisfaction", args=[token]), {"answer": "unhappy"})  # the latest answer counts
    assert SatisfactionAnswer.objects.get().answer == "unhappy"
    ticket = ServiceRecoveryTicket.objects.get()
    assert (ticket.source, ticket.reason, ticket.message_id) == (TicketSource.SATISFACTION, "unhappy", message.pk)
    assert client.post(reverse("reviews:satisfaction", args=[token]), {"answer": "ecstatic"}).status_code == 400


def _invitations(campaign):
    return sorted(
        Message.objects.filter(campaign=campaign).values_list("order__external_id", "step", "status", "channel")
    )


def test_answers_and_tickets_never_change_who_is_invited_or_when(shop, client):
    """Three buyers, the same campaign with a reminder: one unhappy (and a help-page ticket), one happy,
    one silent. Planning and dispatch treat all three the same, before and after the answers."""
    shop.campaign.satisfaction_check = True
    shop.campaign.reminder_days = 3
    shop.campaign.save()
    orders = [shop.order(days_ago=6, external_id=f"NOGATE-{i}") for i in range(3)]
    planning.plan_due_messages()
    assert dispatch.dispatch_due(max_seconds=5).sent == 3
    reminders_before = {
        m.order_id: m.send_at - m_first.sent_at
        for m in Message.objects.filter(campaign=shop.campaign, step=2)
        for m_first in [Message.objects.get(campaign=shop.campaign, order_id=m.order_id, step=1)]
    }
    assert len(reminders_before) == 3 and len(set(reminders_before.values())) == 1
    before = _invitations(shop.campaign)

    firsts = {m.order_id: m for m in Message.objects.filter(campaign=shop.campaign, step=1)}
    unhappy, happy = firsts[orders[0].pk], firsts[orders[1].pk]
    client.post(reverse("reviews:satisfaction", args=[_help(unhappy).split("/")[-2]]), {"answer": "unhappy"})
    client.post(_help(unhappy), {"reason": "damaged", "text": "cracked"})
    client.post(reverse("reviews:satisfaction", args=[_help(happy).split("/")[-2]]), {"answer": "happy"})
    assert ServiceRecoveryTicket.objects.count() == 2

    planning.plan_due_messages()
    assert _invitations(shop.campaign) == before
    reminders_after = {
        m.order_id: m.send_at - firsts[m.order_id].sent_at
        for m in Message.objects.filter(campaign=shop.campaign, step=2)
    }
    assert reminders_after == reminders_before
    later = timezone.now() + dt.timedelta(days=3, hours=1)
    assert dispatch.dispatch_batch(now=later).sent == 3  # every reminder goes, the unhappy buyer's too
    assert {m.status for m in Message.objects.filter(campaign=shop.campaign)} == {MessageStatus.SENT}


def test_a_scanned_insert_card_opens_the_help_page_of_its_order(shop, client):
    from inserts import services as inserts

    order = shop.order(days_ago=6)
    card = inserts.create_card_batch(merchant=shop.merchant, order_ids=[order.pk]).cards.get()
    scan = client.get(f"/c/{card.token}")
    assert scan.status_code == 302
    help_path = scan["Location"].removeprefix("http://testserver")
    assert help_path.startswith("/campaigns/h/")
    page = client.get(help_path)
    assert page.status_code == 200 and order.display_number in page.content.decode()
    client.post(help_path, {"reason": "missing", "text": "one sock only"})
    ticket = ServiceRecoveryTicket.objects.get()
    assert (ticket.order_id, ticket.source, ticket.message_id) == (order.pk, TicketSource.INSERT_CARD, None)
    # the card page's review link leads to the order's review page (none for a manual store: thanks)
    review = client.get(help_path + "review/")
    assert review.status_code == 200 and b"Thank you" in review.content


def test_a_merchants_own_card_help_page_still_wins(shop, client):
    from inserts import services as inserts

    order = shop.order(days_ago=6)
    inserts.save_card_settings(
        merchant=shop.merchant, postal_address="", help_url="https://help.acme.example/", review_url=""
    )
    card = inserts.create_card_batch(merchant=shop.merchant, order_ids=[order.pk]).cards.get()
    assert client.get(f"/c/{card.token}")["Location"] == "https://help.acme.example/"


def test_a_help_link_of_a_deleted_order_or_a_foreign_message_is_404(shop, client, bob):
    from tests.reviews.conftest import make_shop

    message = _sent(shop)
    theirs = _sent(make_shop(bob.merchant))
    mixed = links.help_token(order_id=message.order_id, message_ref=theirs.ref)  # signed, but inconsistent
    assert client.get(reverse("reviews:help", args=[mixed])).status_code == 404
    url = _help(message)
    message.order.delete()
    assert client.get(url).status_code == 404
