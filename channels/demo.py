"""Demo channels: an outbox account for each demo merchant (the default sender), accounts pointing at
the local fakes of `manage.py run_fake_providers`, a few suppressions and a few outbox messages."""

from __future__ import annotations

import uuid

from django.conf import settings

from . import services
from .models import ChannelAccount, OutboxMessage, SuppressionEntry
from .senders import OutboundMessage

DEMO_TWILIO_SID = "AC" + "d" * 32
DEMO_TWILIO_TOKEN = "demo-twilio-auth-token"  # noqa: S105  (talks only to the local fake)


def _fakes():
    port = settings.CHANNELS_FAKES_PORT
    return {"smtp_port": port, "http": f"http://127.0.0.1:{port + 1}"}


def _account(merchant, name: str, kind: str, **fields) -> ChannelAccount:
    account = ChannelAccount.objects.filter(merchant=merchant, name=name).first()
    if account is None:
        account = ChannelAccount(merchant=merchant, name=name, kind=kind)
    for key, value in fields.items():
        setattr(account, key, value)
    account.save()
    return account


def _accounts_for(merchant, key: str) -> ChannelAccount:
    fakes = _fakes()
    domain = "starlight.example" if key == "zh" else "acme-outdoor.example"
    outbox = _account(merchant, "Outbox", "outbox", from_email=f"care@{domain}", from_name=merchant.name)
    if not settings.CHANNELS_PROVIDER_URL_OVERRIDES:
        return outbox
    _account(
        merchant, "Local SMTP (fake)", "smtp", from_email=f"care@{domain}", from_name=merchant.name,
        config={"host": "127.0.0.1", "port": fakes["smtp_port"], "security": "none", "timeout": 5},
        credentials={"username": "", "password": ""},
    )  # fmt: skip
    _account(
        merchant, "Postmark (fake)", "postmark", from_email=f"reviews@{domain}", from_name=merchant.name,
        config={"api_url": fakes["http"] + "/", "message_stream": "outbound", "timeout": 5},
        credentials={"server_token": "demo-postmark-token", "webhook_secret": "demo:demo-postmark-hook"},
    )  # fmt: skip
    _account(
        merchant, "Twilio SMS (fake)", "twilio_sms", sms_from="+15005550006",
        config={"api_url": fakes["http"], "account_sid": DEMO_TWILIO_SID, "timeout": 5},
        credentials={"auth_token": DEMO_TWILIO_TOKEN},
    )  # fmt: skip
    if key == "zh":
        _account(
            merchant, "Twilio WhatsApp (fake)", "twilio_whatsapp", whatsapp_from="+14155238886",
            config={"api_url": fakes["http"], "account_sid": DEMO_TWILIO_SID, "test_content_sid": "HX" + "d" * 32,
                    "timeout": 5},
            credentials={"auth_token": DEMO_TWILIO_TOKEN},
        )  # fmt: skip
    _account(
        merchant, "Amazon Solicitations (fake)", "amazon_solicitations",
        amazon_seller_id="A2DEMOSELLER" + key.upper(), amazon_marketplaces=["ATVPDKIKX0DER", "A1PA6795UKMFR9"],
        config={"api_url": fakes["http"], "token_url": fakes["http"] + "/auth/o2/token", "lwa_app_id": "amzn1.demo",
                "timeout": 5},
        credentials={"lwa_client_secret": "demo-lwa-secret", "refresh_token": "Atzr|demo-refresh-token"},
    )  # fmt: skip
    _push_accounts(merchant, fakes["http"])
    return outbox


def _push_accounts(merchant, http: str) -> None:
    """An FCM and a web-push account pointing at the local fakes; keys are made once and kept."""
    import json

    from .fakes.push import derived_browser_keys
    from .senders.push import generate_vapid_keys

    if not ChannelAccount.objects.filter(merchant=merchant, name="App push (fake FCM)").exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        project = f"linkstar-demo-{merchant.slug}"[:30]
        info = {
            "type": "service_account", "project_id": project, "private_key_id": uuid.uuid4().hex,
            "private_key": pem, "client_email": f"firebase-adminsdk@{project}.iam.gserviceaccount.com",
            "client_id": "100000000000000000000", "token_uri": http + "/oauth2/token",
        }  # fmt: skip
        _account(
            merchant, "App push (fake FCM)", "fcm",
            config={"api_url": http, "project_id": project, "client_email": info["client_email"], "timeout": 5,
                    "test_token": "demo-test-device:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9"},
            credentials={"service_account": json.dumps(info)},
        )  # fmt: skip
    if not ChannelAccount.objects.filter(merchant=merchant, name="Web push (fake)").exists():
        private, public = generate_vapid_keys()
        sub_id = f"demo-test-browser-{merchant.pk}"
        _key, p256dh, auth = derived_browser_keys(sub_id)
        subscription = {"endpoint": f"{http}/webpush/{sub_id}", "keys": {"p256dh": p256dh, "auth": auth}}
        _account(
            merchant, "Web push (fake)", "web_push",
            config={"subject": "mailto:care@example.com", "vapid_public_key": public, "ttl": 86400, "timeout": 5,
                    "test_subscription": json.dumps(subscription)},
            credentials={"vapid_private_key": private},
        )  # fmt: skip
    _account(
        merchant, "Amazon buyer-seller messages (fake)", "amazon_messaging",
        amazon_seller_id="A2DEMOSELLER" + str(merchant.pk), amazon_marketplaces=["ATVPDKIKX0DER"],
        config={"api_url": http, "token_url": http + "/auth/o2/token", "lwa_app_id": "amzn1.demo", "timeout": 5},
        credentials={"lwa_client_secret": "demo-lwa-secret", "refresh_token": "Atzr|demo-refresh-token"},
    )  # fmt: skip


SUPPRESSIONS = [
    ("email", "unsubscribed.buyer@example.com", SuppressionEntry.Reason.UNSUBSCRIBE, "all", "Unsubscribe link"),
    ("email", "bounced.buyer@example.com", SuppressionEntry.Reason.HARD_BOUNCE, "all", "Postmark: HardBounce"),
    ("email", "no-reviews@example.com", SuppressionEntry.Reason.UNSUBSCRIBE, "review_requests", "Unsubscribe page"),
    ("sms", "+14155550123", SuppressionEntry.Reason.STOP_KEYWORD, "all", "Twilio SMS: STOP"),
]


def load(ctx) -> None:
    made = 0
    for key, merchant in ctx.merchants.items():
        outbox = _accounts_for(merchant, key)
        for channel, address, reason, scope, source in SUPPRESSIONS:
            services.suppress(
                merchant=merchant, channel=channel, address=address, reason=reason, scope=scope, source=source
            )
        if not OutboxMessage.objects.for_merchant(merchant).exists():
            text = (
                "您好，您的订单已签收。如果方便，欢迎留下您的评价。"
                if key == "zh"
                else "Hi Sam, your order arrived. If you have a moment, we would love your review."
            )
            messages = [
                OutboundMessage(
                    merchant_id=merchant.pk, message_ref=str(uuid.uuid4()), channel="email", to="sam.buyer@example.com",
                    subject="您的订单已送达" if key == "zh" else "How is your new tent?", text_body=text,
                    html_body=f"<p>{text}</p>", language="zh-hans" if key == "zh" else "en",
                ),
                OutboundMessage(
                    merchant_id=merchant.pk, message_ref=str(uuid.uuid4()), channel="sms", to="+14155550147",
                    text_body=text + " Reply STOP to opt out.",
                ),
            ]  # fmt: skip
            made += sum(r.accepted for r in services.send_messages(account=outbox, messages=messages))
    per_merchant = f"{len(SUPPRESSIONS)} suppressions per merchant"
    ctx.write(f"channels: outbox + fake-provider accounts, {per_merchant}, {made} outbox messages")
