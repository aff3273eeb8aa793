"""The outbox: records the rendered message in a table instead of sending it (development, the demo)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Channel, OutboundMessage, Sender, SendResult
from .email import email_headers, from_header


class OutboxSender(Sender):
    kind = "outbox"
    label = _("Outbox (records, never sends)")
    channel = ""  # any channel: the outbox stands in for every kind
    provider = "outbox"
    description = _("Keeps every message on the Outbox page instead of sending it. The default for trying Linkstar.")

    def check_channel(self, message: OutboundMessage) -> SendResult | None:
        if message.channel not in Channel.values:
            return SendResult.permanent("wrong_channel", f"unknown channel {message.channel!r}")
        return None

    def send(self, message: OutboundMessage) -> SendResult:
        from ..models import OutboxMessage

        wrong = self.check_channel(message)
        if wrong:
            return wrong
        is_email = message.channel == Channel.EMAIL
        headers = email_headers(self.account, message) if is_email else dict(message.headers)
        if message.channel == Channel.WHATSAPP:
            headers["Content-Sid"] = message.content_sid
        if message.channel in (Channel.AMAZON, Channel.AMAZON_MESSAGING):
            headers["Amazon-Order-Id"] = message.amazon_order_id
            headers["Marketplace-Id"] = message.marketplace_id
        if message.channel == Channel.AMAZON_MESSAGING:
            headers["Amazon-Message-Type"] = message.amazon_message_type
        if message.channel == Channel.PUSH:
            target = message.push_target
            headers["Push-Kind"] = target.kind if target else ""
            headers["Push-Link"] = message.push_link
        row = OutboxMessage.objects.create(
            merchant_id=message.merchant_id,
            account=self.account if self.account.pk else None,
            message_ref=message.message_ref,
            channel=message.channel,
            to=message.to,
            from_address=from_header(self.account) if is_email else (self.account.sms_from or self.account.name),
            subject=message.subject,
            text_body=message.text_body,
            html_body=message.html_body,
            headers=headers,
            metadata={
                **message.metadata,
                **({"content_variables": message.content_variables} if message.content_variables else {}),
            },
        )
        return SendResult.ok(f"outbox-{row.pk}")
