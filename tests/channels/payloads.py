"""Provider webhook payloads in each provider's documented format, signed as the provider signs them."""

import base64
import hashlib
import hmac
import json
import time
import uuid

from twilio.request_validator import RequestValidator

from channels.fakes.http import sign_sns_message

# -- Postmark (https://postmarkapp.com/developer/webhooks/webhooks-overview) ----------------------


def postmark_delivery(ref, recipient="buyer@example.com", message_id=None):
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id or str(uuid.uuid4()),
        "Recipient": recipient,
        "Tag": "review_request",
        "DeliveredAt": "2026-11-20T16:33:54.9070259Z",
        "Details": "Test delivery webhook details",
        "Metadata": {"linkstar_ref": ref},
    }


def postmark_bounce(ref, recipient="buyer@example.com", kind="HardBounce", event_id=4323372036854775807):
    return {
        "RecordType": "Bounce",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "MessageID": str(uuid.uuid4()),
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": recipient,
        "From": "shop@merchant.example",
        "BouncedAt": "2026-11-20T16:40:00Z",
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "How was your order?",
        "Metadata": {"linkstar_ref": ref},
    }


def postmark_complaint(ref, recipient="buyer@example.com"):
    return {**postmark_bounce(ref, recipient, kind="SpamComplaint", event_id=42), "RecordType": "SpamComplaint"}


def postmark_inbound(subject, sender="buyer@example.com", text="", in_reply_to=""):
    headers = [{"Name": "Message-ID", "Value": f"<{uuid.uuid4()}@mail.example.com>"}]
    if in_reply_to:
        headers.append({"Name": "In-Reply-To", "Value": in_reply_to})
    return {
        "FromName": "Buyer",
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": "Buyer", "MailboxHash": ""},
        "To": "unsubscribe@merchant.example",
        "ToFull": [{"Email": "unsubscribe@merchant.example", "Name": "", "MailboxHash": ""}],
        "Subject": subject,
        "MessageID": str(uuid.uuid4()),
        "Date": "Fri, 20 Nov 2026 16:41:00 +0000",
        "TextBody": text,
        "HtmlBody": "",
        "Headers": headers,
        "Attachments": [],
    }


def basic_auth(credentials):
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# -- Mailgun (https://documentation.mailgun.com/docs/mailgun/user-manual/events/webhooks) -------------


def mailgun_event(ref, event="delivered", severity=None, key="mg-signing-key", event_id=None, token=None):
    timestamp = str(int(time.time()))  # Mailgun timestamps must be recent
    token = token or uuid.uuid4().hex
    data = {
        "event": event,
        "id": event_id or uuid.uuid4().hex[:22],
        "timestamp": 1763656000.5,
        "recipient": "buyer@example.com",
        "message": {"headers": {"message-id": "20261120.1@mg.merchant.example"}},
        "user-variables": {"linkstar_ref": ref},
        "delivery-status": {"code": 550 if event == "failed" else 250, "message": "", "description": ""},
    }
    if severity:
        data["severity"] = severity
        data["reason"] = "bounce"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": data}


# -- Amazon SES through SNS (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html)


def ses_event(ref, event_type="Delivery", recipient="buyer@example.com", bounce_type="Permanent"):
    mail = {
        "timestamp": "2026-11-20T16:33:54.000Z",
        "source": "shop@merchant.example",
        "messageId": "0100018f-ses-message-id",
        "destination": [recipient],
        "headers": [{"name": "X-Metadata", "value": json.dumps({"linkstar_ref": ref})}],
    }
    event = {"eventType": event_type, "mail": mail}
    if event_type == "Delivery":
        event["delivery"] = {"timestamp": "2026-11-20T16:34:00.000Z", "recipients": [recipient]}
    elif event_type == "Bounce":
        event["bounce"] = {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": recipient, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-11-20T16:34:00.000Z",
        }
    elif event_type == "Complaint":
        event["complaint"] = {
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
            "timestamp": "2026-11-20T16:35:00.000Z",
        }
    return event


def sns_notification(fake, inner, *, version="1", message_id=None, topic="arn:aws:sns:us-east-1:123456789012:ses"):
    message = {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": json.dumps(inner),
        "Timestamp": "2026-11-20T16:34:01.000Z",
        "UnsubscribeURL": f"{fake.url}/sns/unsubscribe",
    }
    return sign_sns_message(fake.state, message, cert_url=f"{fake.url}/sns/cert.pem", version=version)


def sns_subscription(fake, topic="arn:aws:sns:us-east-1:123456789012:ses"):
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37fb687f5d51e6e2425c464de12884f",
        "TopicArn": topic,
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": f"{fake.url}/sns/confirm?Action=ConfirmSubscription&Token=2336412f",
        "Timestamp": "2026-11-20T16:30:00.000Z",
    }
    return sign_sns_message(fake.state, message, cert_url=f"{fake.url}/sns/cert.pem")


def sns_headers(message):
    return {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": message["Type"], "HTTP_X_AMZ_SNS_MESSAGE_ID": message["MessageId"]}


# -- Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security) -------------------------------


def twilio_signature(token, url, params):
    return RequestValidator(token).compute_signature(url, params)
