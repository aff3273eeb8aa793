"""The merchant's service-recovery inbox: list and filters, the ticket with its order timeline, status
changes, notes, and an email reply through the merchant's own email account."""

import email
import email.policy

import pytest
from django.urls import reverse

from accounts.roles import Role
from channels.fakes.smtp import FakeSmtpServer
from channels.models import ChannelAccount, OutboxMessage
from orders.models import OrderEvent
from reviews import services
from reviews.models import ServiceRecoveryTicket, TicketEntry, TicketStatus
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory
from tests.factories.channels import smtp_account
from tests.factories.orders import OrderEventFactory

pytestmark = pytest.mark.django_db


def _ticket(shop, *, reason="damaged", text="The lid is cracked.", **order_fields):
    order = shop.order(**order_fields)
    ticket, _created = services.open_ticket(order=order, reason=reason, text=text, source="help_page", language="en")
    return ticket


def test_the_inbox_lists_tickets_and_filters_them_by_status(shop, client_a):
    first = _ticket(shop, text="first ticket text")
    second = _ticket(shop, reason="wrong_item", text="second ticket text")
    services.set_ticket_status(ticket=second, status=TicketStatus.RESOLVED, user=None)
    page = client_a.get(reverse("reviews:tickets"))
    body = page.content.decode()
    assert page.status_code == 200 and "first ticket text" in body and "second ticket text" in body
    open_only = client_a.get(reverse("reviews:tickets"), {"status": "open"}).content.decode()
    assert "first ticket text" in open_only and "second ticket text" not in open_only
    assert f"#{first.pk}" in open_only


def test_the_ticket_page_shows_the_order_timeline_and_records_status_changes_and_notes(shop, client_a, alice):
    ticket = _ticket(shop)
    OrderEventFactory(order=ticket.order, merchant=shop.merchant, type=OrderEvent.Type.DELIVERED)
    url = reverse("reviews:ticket", args=[ticket.pk])
    page = client_a.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "The lid is cracked." in body and ticket.order.display_number in body and "Delivered" in body

    assert client_a.post(url, {"action": "status", "status": "in_progress"}).status_code == 302
    assert client_a.post(url, {"action": "note", "text": "Sent a replacement lid."}).status_code == 302
    assert client_a.post(url, {"action": "status", "status": "resolved"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None
    entries = list(ticket.entries.values_list("kind", "status_from", "status_to", "text", "author_id"))
    assert entries == [
        ("status", "open", "in_progress", "", alice.owner.pk),
        ("note", "", "", "Sent a replacement lid.", alice.owner.pk),
        ("status", "in_progress", "resolved", "", alice.owner.pk),
    ]
    assert "Sent a replacement lid." in client_a.get(url).content.decode()


def test_an_illegal_status_move_and_an_empty_note_are_refused(shop, client_a):
    ticket = _ticket(shop)
    url = reverse("reviews:ticket", args=[ticket.pk])
    refused = client_a.post(url, {"action": "status", "status": "open"})
    assert refused.status_code == 400 and "cannot become" in refused.content.decode()
    assert client_a.post(url, {"action": "note", "text": "  "}).status_code == 400
    assert not TicketEntry.objects.exists()


def test_a_reply_goes_to_the_buyer_through_the_merchants_email_account_and_is_kept(shop, client_a):
    ticket = _ticket(shop, buyer_fields={"email": "jamie@example.test"})
    with FakeSmtpServer() as sink:
        account = smtp_account(shop.merchant, sink)
        account.from_email = "care@acme.example"
        account.save()
        response = client_a.post(
            reverse("reviews:ticket", args=[ticket.pk]),
            {"action": "reply", "subject": "Your new lid", "text": "A replacement ships today."},
        )
        assert response.status_code == 302
        assert len(sink.messages) == 1
        mail = sink.messages[0]
        assert mail.rcpt_tos == ["jamie@example.test"]
        parsed = email.message_from_bytes(mail.data, policy=email.policy.default)
        assert parsed["Subject"] == "Your new lid"
        assert "A replacement ships today." in parsed.get_body(preferencelist=("plain",)).get_content()
    entry = TicketEntry.objects.get(ticket=ticket)
    assert (entry.kind, entry.subject, entry.outcome) == ("reply", "Your new lid", "accepted")
    assert entry.message_ref
    assert not OutboxMessage.objects.filter(message_ref=entry.message_ref).exists()  # the real account, not the outbox


def test_a_merchant_without_an_email_account_gets_a_clear_form_error(shop, client_a):
    ChannelAccount.objects.filter(merchant=shop.merchant).delete()
    ticket = _ticket(shop)
    response = client_a.post(
        reverse("reviews:ticket", args=[ticket.pk]), {"action": "reply", "subject": "Hi", "text": "Sorry!"}
    )
    assert response.status_code == 400
    assert "no email channel account" in response.content.decode()
    assert not TicketEntry.objects.exists()


def test_an_amazon_buyer_cannot_be_emailed_from_the_inbox(shop, client_a):
    ticket = _ticket(shop, buyer_fields={"email": "abc@marketplace.amazon.com", "email_is_relay": True})
    response = client_a.post(
        reverse("reviews:ticket", args=[ticket.pk]), {"action": "reply", "subject": "Hi", "text": "Sorry!"}
    )
    assert response.status_code == 400 and "only through Amazon" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_a_viewer_reads_tickets_but_cannot_change_them(shop, alice):
    ticket = _ticket(shop)
    viewer = logged_in_client(MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user)
    url = reverse("reviews:ticket", args=[ticket.pk])
    assert viewer.get(url).status_code == 200
    viewer.post(url, {"action": "status", "status": "resolved"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_bobs_tickets_and_photos_are_not_found_for_alice(shop, client_a, bob, settings, tmp_path):
    from django.core.files.base import ContentFile

    from tests.reviews.conftest import make_shop

    settings.MEDIA_ROOT = str(tmp_path)
    theirs = _ticket(make_shop(bob.merchant))
    theirs.photo.save("x.jpg", ContentFile(b"\xff\xd8\xff"), save=True)
    for name in ("reviews:ticket", "reviews:ticket_photo"):
        assert client_a.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert (
        client_a.post(reverse("reviews:ticket", args=[theirs.pk]), {"action": "note", "text": "x"}).status_code == 404
    )
    assert not TicketEntry.objects.exists()
    mine = _ticket(shop)
    mine.photo.save("y.jpg", ContentFile(b"\xff\xd8\xff"), save=True)
    photo = client_a.get(reverse("reviews:ticket_photo", args=[mine.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert ServiceRecoveryTicket.objects.count() == 2


def test_erasing_a_buyer_blanks_their_tickets_and_deletes_photos_and_the_export_lists_them(
    shop, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from orders import services as order_services

    settings.MEDIA_ROOT = str(tmp_path)
    ticket = _ticket(shop, text="My address is 1 Elm Street")
    ticket.photo.save("p.jpg", ContentFile(b"\xff\xd8\xff"), save=True)
    name = ticket.photo.name
    buyer = ticket.order.buyer
    exported = order_services.export_buyer(buyer)
    assert exported["service_recovery"]["tickets"][0]["text"] == "My address is 1 Elm Street"

    with django_capture_on_commit_callbacks(execute=True):
        order_services.erase_buyer(buyer)
    ticket.refresh_from_db()
    assert (ticket.text, ticket.photo.name) == ("", "")
    assert not default_storage.exists(name)
