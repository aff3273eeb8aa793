import uuid

import factory
from django.utils import timezone

from channels.models import ChannelAccount, DeliveryEvent, OutboxMessage, SentMessage, SuppressionEntry
from channels.senders import OutboundMessage
from tests.factories.accounts import MerchantFactory

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-auth-token-canary-5e1"  # noqa: S105


class ChannelAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelAccount

    merchant = factory.SubFactory(MerchantFactory)
    kind = "outbox"
    name = factory.Sequence(lambda n: f"Account {n}")
    from_email = "shop@merchant.example"
    from_name = "Example Shop"
    credentials = factory.LazyFunction(dict)
    config = factory.LazyFunction(dict)


def smtp_account(merchant, server, **config):
    return ChannelAccountFactory(
        merchant=merchant,
        kind="smtp",
        config={"host": server.host, "port": server.port, "security": "none", "timeout": 2, **config},
    )


def postmark_account(merchant, fake, **extra):
    return ChannelAccountFactory(
        merchant=merchant,
        kind="postmark",
        config={"api_url": fake.url + "/", "timeout": 1, **extra.pop("config", {})},
        credentials={"server_token": "pm-token", "webhook_secret": "hooks:pm-secret", **extra.pop("credentials", {})},
        **extra,
    )


def mailgun_account(merchant, fake, **extra):
    return ChannelAccountFactory(
        merchant=merchant,
        kind="mailgun",
        config={"api_url": fake.url + "/v3", "sender_domain": "mg.merchant.example", "timeout": 1},
        credentials={"api_key": "mg-key", "webhook_signing_key": "mg-signing-key", **extra.pop("credentials", {})},
        **extra,
    )


def ses_account(merchant, fake, **extra):
    return ChannelAccountFactory(
        merchant=merchant,
        kind="amazon_ses",
        config={"api_url": fake.url, "region": "us-east-1", "timeout": 1, **extra.pop("config", {})},
        credentials={
            "access_key_id": "AKIDEXAMPLE",
            "secret_access_key": "ses-secret",
            "webhook_secret": "sns:ses-hook-secret",
        },
        **extra,
    )


def twilio_account(merchant, fake, kind="twilio_sms", **extra):
    return ChannelAccountFactory(
        merchant=merchant,
        kind=kind,
        sms_from="+15005550006" if kind == "twilio_sms" else "",
        whatsapp_from="+14155238886" if kind == "twilio_whatsapp" else "",
        config={"api_url": fake.url, "account_sid": TWILIO_SID, "timeout": 1, **extra.pop("config", {})},
        credentials={"auth_token": TWILIO_TOKEN},
        **extra,
    )


def amazon_account(merchant, fake, **extra):
    return ChannelAccountFactory(
        merchant=merchant,
        kind="amazon_solicitations",
        amazon_seller_id="A1SELLER0001",
        amazon_marketplaces=["ATVPDKIKX0DER"],
        config={"api_url": fake.url, "token_url": fake.url + "/auth/o2/token", "lwa_app_id": "amzn1.app", "timeout": 1},
        credentials={
            "lwa_client_secret": "lwa-secret",
            "refresh_token": "Atzr|refresh",
            **extra.pop("credentials", {}),
        },
        **extra,
    )


def outbound(account, **fields) -> OutboundMessage:
    channel = fields.pop("channel", account.channel or "email")
    defaults = {
        "merchant_id": account.merchant_id,
        "message_ref": str(uuid.uuid4()),
        "channel": channel,
        "to": {"email": "buyer@example.com", "sms": "+14155550100", "whatsapp": "+14155550100"}.get(channel, ""),
        "subject": "How was your order?",
        "text_body": "Hello, tell us how it went.",
        "html_body": "<p>Hello, tell us how it went.</p>" if channel == "email" else "",
    }
    defaults.update(fields)
    return OutboundMessage(**defaults)


class SentMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SentMessage

    merchant = factory.SubFactory(MerchantFactory)
    kind = "outbox"
    channel = "email"
    message_ref = factory.LazyFunction(lambda: str(uuid.uuid4()))
    status = SentMessage.Status.SENT


class DeliveryEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryEvent

    merchant = factory.SubFactory(MerchantFactory)
    provider = "postmark"
    provider_event_id = factory.Sequence(lambda n: f"evt-{n}")
    event_type = DeliveryEvent.Type.DELIVERED
    occurred_at = factory.LazyFunction(timezone.now)


class SuppressionEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuppressionEntry

    merchant = factory.SubFactory(MerchantFactory)
    channel = "email"
    address_hash = factory.Sequence(lambda n: f"{n:064x}")
    address = factory.Sequence(lambda n: f"person{n}@example.com")
    reason = SuppressionEntry.Reason.MANUAL


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    merchant = factory.SubFactory(MerchantFactory)
    message_ref = factory.LazyFunction(lambda: str(uuid.uuid4()))
    channel = "email"
    to = "buyer@example.com"
    subject = "Hello"
    text_body = "Hello"


def amazon_messaging_account(merchant, fake, **extra):
    # Its own refresh token: python-amazon-sp-api caches access tokens per refresh token in the process.
    extra.setdefault("credentials", {"refresh_token": "Atzr|messaging-refresh"})
    account = amazon_account(merchant, fake, **extra)
    account.kind = "amazon_messaging"
    account.save()
    return account


def service_account_info(token_uri: str, *, project_id: str = "linkstar-test", key=None) -> tuple[dict, object]:
    """A Firebase service-account key as Google issues it (fresh RSA key), and the key itself."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    return info, key


def fcm_account(merchant, fake, *, info=None, **extra):
    """An FCM account whose service account the fake knows (signatures are checked)."""
    import json

    if info is None:
        info, key = service_account_info(fake.url + "/oauth2/token")
        if fake.state.fcm_keys is not None:
            fake.state.fcm_keys[info["client_email"]] = key.public_key()
    return ChannelAccountFactory(
        merchant=merchant,
        kind="fcm",
        config={"api_url": fake.url, "project_id": info["project_id"], "timeout": 2, **extra.pop("config", {})},
        credentials={"service_account": json.dumps(info)},
        **extra,
    )


def web_push_account(merchant, **extra):
    from channels.senders.push import generate_vapid_keys

    private, public = generate_vapid_keys()
    return ChannelAccountFactory(
        merchant=merchant,
        kind="web_push",
        config={"subject": "mailto:push@merchant.example", "vapid_public_key": public, "ttl": 3600, "timeout": 2},
        credentials={"vapid_private_key": private},
        **extra,
    )
