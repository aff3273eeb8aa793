"""Merchant pages: add each kind of account, test-send to the local fakes, see events and suppressions.

Credentials never come back out: not in pages, admin, API, logs or error pages (canary values).
"""

import logging

import pytest
from django.urls import reverse

from accounts.roles import Role
from channels.models import ChannelAccount, OutboxMessage, SuppressionEntry
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory, UserFactory
from tests.factories.channels import TWILIO_SID, ChannelAccountFactory, postmark_account, smtp_account

pytestmark = pytest.mark.django_db

CANARY = "canary-secret-9d2f"


def form_for(kind, fake=None, smtp=None):
    """A complete add form per kind, every secret set to the canary."""
    email = {"from_email": "shop@merchant.example", "from_name": "Shop", "reply_to": ""}
    return {
        "outbox": {"name": "Outbox", "from_email": "shop@merchant.example"},
        "smtp": {**email, "name": "SMTP", "host": smtp.host if smtp else "127.0.0.1", "port": smtp.port if smtp else 25,
                 "security": "none", "username": "", "password": ""},
        "postmark": {**email, "name": "Postmark", "server_token": CANARY, "webhook_secret": f"hooks:{CANARY}",
                     "message_stream": "outbound", "api_url": f"{fake.url}/" if fake else ""},
        "mailgun": {**email, "name": "Mailgun", "api_key": CANARY, "webhook_signing_key": CANARY, "region": "eu",
                    "sender_domain": "mg.merchant.example", "api_url": f"{fake.url}/v3" if fake else ""},
        "amazon_ses": {**email, "name": "SES", "access_key_id": "AKIDCANARY", "secret_access_key": CANARY,
                       "region": "eu-west-1", "webhook_secret": f"sns:{CANARY}", "api_url": fake.url if fake else ""},
        "twilio_sms": {"name": "Twilio", "account_sid": TWILIO_SID, "auth_token": CANARY, "sms_from": "+15005550006",
                       "api_url": fake.url if fake else ""},
        "twilio_whatsapp": {"name": "WhatsApp", "account_sid": TWILIO_SID, "auth_token": CANARY,
                            "whatsapp_from": "+14155238886", "test_content_sid": "HX" + "a" * 32,
                            "api_url": fake.url if fake else ""},
        "amazon_solicitations": {"name": "Amazon", "amazon_seller_id": "A1SELLER0001",
                                 "amazon_marketplaces": ["ATVPDKIKX0DER"], "lwa_app_id": "amzn1.app",
                                 "lwa_client_secret": CANARY,
                                 "refresh_token": f"Atzr|{CANARY}", "api_url": fake.url if fake else "",
                                 "token_url": f"{fake.url}/auth/o2/token" if fake else ""},
    }[kind]  # fmt: skip


TEST_TO = {
    "outbox": "buyer@example.com",
    "smtp": "buyer@example.com",
    "postmark": "buyer@example.com",
    "mailgun": "buyer@example.com",
    "amazon_ses": "buyer@example.com",
    "twilio_sms": "+14155550100",
    "twilio_whatsapp": "+14155550100",
    "amazon_solicitations": "111-2223334-4445556",
}


@pytest.mark.parametrize("kind", sorted(TEST_TO))
def test_a_merchant_adds_each_kind_and_test_sends_to_the_local_fake(client_a, alice, fake, smtp_server, kind, caplog):
    caplog.set_level(logging.DEBUG)
    response = client_a.post(reverse("channels:account_create", args=[kind]), form_for(kind, fake, smtp_server))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    account = ChannelAccount.objects.get(merchant=alice.merchant)
    assert account.kind == kind

    data = {"to": TEST_TO[kind], "channel": "email"}
    response = client_a.post(reverse("channels:account_test_send", args=[account.pk]), data, follow=True)
    page = response.content.decode()
    assert "message-success" in page, page[page.find("messages") : page.find("messages") + 600]
    account.refresh_from_db()
    assert account.verified_at is not None

    for url in (
        reverse("channels:account_detail", args=[account.pk]),
        reverse("channels:account_edit", args=[account.pk]),
    ):
        assert CANARY not in client_a.get(url).content.decode()
    assert CANARY not in caplog.text
    assert CANARY in str(account.credentials) or kind in ("outbox", "smtp")  # stored, encrypted at rest
    if kind not in ("outbox", "smtp"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("select credentials from channels_channelaccount where id = %s", [account.pk])
            assert CANARY not in cursor.fetchone()[0]


def test_test_send_shows_the_providers_error(client_a, alice, smtp_server):
    account = smtp_account(alice.merchant, smtp_server)
    url = reverse("channels:account_test_send", args=[account.pk])
    response = client_a.post(url, {"to": "reject@example.com"}, follow=True)
    assert b"message-error" in response.content and b"550" in response.content


def test_the_outbox_test_send_lands_on_the_outbox_page(client_a, alice):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    client_a.post(reverse("channels:account_test_send", args=[account.pk]), {"to": "+14155550100", "channel": "sms"})
    message = OutboxMessage.objects.get()
    assert message.channel == "sms" and message.to == "+14155550100"
    assert message.text_body[:40] in client_a.get(reverse("channels:outbox")).content.decode()
    detail = client_a.get(reverse("channels:outbox_detail", args=[message.pk]))
    assert detail.status_code == 200


def test_outbox_html_is_served_in_a_sandbox(client_a, alice):
    account = ChannelAccountFactory(merchant=alice.merchant, kind="outbox")
    client_a.post(reverse("channels:account_test_send", args=[account.pk]), {"to": "a@example.com", "channel": "email"})
    response = client_a.get(reverse("channels:outbox_html", args=[OutboxMessage.objects.get().pk]))
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_editing_keeps_secrets_left_blank(client_a, alice, fake):
    account = postmark_account(alice.merchant, fake)
    data = {**form_for("postmark", fake), "server_token": "", "webhook_secret": "", "name": "Renamed"}
    response = client_a.post(reverse("channels:account_edit", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed" and account.credentials["server_token"] == "pm-token"


def test_bad_input_is_a_form_error_and_nothing_is_saved(client_a):
    data = {**form_for("twilio_sms"), "account_sid": "nope", "sms_from": "12"}
    response = client_a.post(reverse("channels:account_create", args=["twilio_sms"]), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not ChannelAccount.objects.exists()


def test_unknown_kind_is_404(client_a):
    assert client_a.get(reverse("channels:account_create", args=["carrier-pigeon"])).status_code == 404


def test_viewers_see_accounts_but_cannot_add_or_test(alice):
    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER, user=UserFactory()).user
    client = logged_in_client(viewer)
    account = ChannelAccountFactory(merchant=alice.merchant)
    assert client.get(reverse("channels:accounts")).status_code == 200
    assert client.get(reverse("channels:account_create", args=["outbox"])).status_code == 403
    assert client.post(reverse("channels:account_test_send", args=[account.pk]), {"to": "a@b.co"}).status_code == 403
    assert client.post(reverse("channels:suppressions"), {"channel": "email", "address": "a@b.co"}).status_code == 302
    assert not SuppressionEntry.objects.exists()


def test_disable_and_delete(client_a, alice):
    account = ChannelAccountFactory(merchant=alice.merchant)
    client_a.post(reverse("channels:account_status", args=[account.pk]), {"status": "disabled"})
    account.refresh_from_db()
    assert account.status == "disabled"
    client_a.post(reverse("channels:account_delete", args=[account.pk]))
    assert not ChannelAccount.objects.exists()


def test_suppressions_page_adds_filters_and_removes(client_a, alice):
    url = reverse("channels:suppressions")
    client_a.post(url, {"channel": "email", "address": "Manual@Example.com", "scope": "all"})
    client_a.post(url, {"channel": "sms", "address": "+14155550100", "scope": "all"})
    entry = SuppressionEntry.objects.get(channel="email")
    assert entry.address == "manual@example.com" and entry.reason == "manual"
    page = client_a.get(url, {"channel": "sms"}).content.decode()
    assert "+14155550100" in page and "manual@example.com" not in page
    bad = client_a.post(url, {"channel": "email", "address": "nope", "scope": "all"})
    assert bad.status_code == 200 and bad.context["form"].errors
    client_a.post(reverse("channels:suppression_remove", args=[entry.pk]))
    assert not SuppressionEntry.objects.filter(pk=entry.pk).exists()


def test_webhook_addresses_are_shown_to_admins_without_secrets(client_a, alice, fake):
    account = postmark_account(alice.merchant, fake)
    page = client_a.get(reverse("channels:account_detail", args=[account.pk])).content.decode()
    assert f"/channels/hooks/{account.webhook_token}/postmark/tracking/" in page
    assert "pm-secret" not in page and "pm-token" not in page


def test_admin_never_shows_credentials(client, alice, fake):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    account = postmark_account(alice.merchant, fake, credentials={"server_token": CANARY})
    for url in ("/admin/channels/channelaccount/", f"/admin/channels/channelaccount/{account.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200 and CANARY not in response.content.decode()
    for model in ("suppressionentry", "deliveryevent", "sentmessage", "outboxmessage"):
        assert client.get(f"/admin/channels/{model}/").status_code == 200


def test_api_never_shows_credentials(api_a, alice, fake):
    account = postmark_account(alice.merchant, fake, credentials={"server_token": CANARY})
    for url in (reverse("channels-api:account-list"), reverse("channels-api:account-detail", args=[account.pk])):
        response = api_a.get(url)
        assert response.status_code == 200 and CANARY not in response.content.decode()
        assert "credentials" not in response.content.decode()


def test_error_pages_and_error_reports_never_show_posted_secrets(client_a, monkeypatch):
    """Production (DEBUG off): the 500 page is plain, and the report mailed to ADMINS hides the secrets
    (sensitive_post_parameters on the view, sensitive_variables on the view and the services)."""
    import sys

    from django.core.signals import got_request_exception
    from django.views.debug import ExceptionReporter

    def explode(self, *args, **kwargs):
        raise RuntimeError("boom")

    reports = []

    def report(sender, request, **kwargs):
        reporter = ExceptionReporter(request, *sys.exc_info(), is_email=True)
        reports.append(reporter.get_traceback_text() + reporter.get_traceback_html())

    monkeypatch.setattr(ChannelAccount, "full_clean", explode)
    got_request_exception.connect(report)
    client_a.raise_request_exception = False
    try:
        response = client_a.post(reverse("channels:account_create", args=["postmark"]), form_for("postmark"))
    finally:
        got_request_exception.disconnect(report)
    assert response.status_code == 500
    assert CANARY not in response.content.decode()
    assert reports and "boom" in reports[0]
    assert CANARY not in reports[0]


def test_senders_keep_secrets_out_of_error_reports(alice, smtp_server):
    import sys

    from django.test import RequestFactory
    from django.views.debug import ExceptionReporter

    from channels.senders.smtp import SmtpSender

    account = smtp_account(alice.merchant, smtp_server)
    account.credentials = {"username": "shop", "password": CANARY}
    sender = SmtpSender(account)
    try:
        sender._backend().nonexistent_attribute  # noqa: B018  (fails inside a frame holding the secret)
    except AttributeError:
        info = sys.exc_info()
    html = ExceptionReporter(RequestFactory().get("/"), *info).get_traceback_html()
    assert CANARY not in html
