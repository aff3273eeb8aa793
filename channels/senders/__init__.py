"""Senders: one class per kind behind one interface, found through one registry.

from channels.senders import OutboundMessage, SendResult, Outcome, SENDERS
"""

from .amazon import AmazonMessagingSender, AmazonSolicitationsSender
from .base import Channel, OutboundMessage, Outcome, PushKind, PushTarget, Sender, SendResult
from .esp import AmazonSesSender, MailgunSender, PostmarkSender
from .outbox import OutboxSender
from .push import FcmSender, WebPushSender
from .smtp import SmtpSender
from .twilio import TwilioSmsSender, TwilioWhatsAppSender

SENDERS: dict[str, type[Sender]] = {
    cls.kind: cls
    for cls in (
        OutboxSender,
        SmtpSender,
        PostmarkSender,
        MailgunSender,
        AmazonSesSender,
        TwilioSmsSender,
        TwilioWhatsAppSender,
        AmazonSolicitationsSender,
        AmazonMessagingSender,
        FcmSender,
        WebPushSender,
    )
}
KIND_CHOICES = [(kind, cls.label) for kind, cls in SENDERS.items()]

__all__ = [
    "SENDERS",
    "KIND_CHOICES",
    "Channel",
    "OutboundMessage",
    "Outcome",
    "PushKind",
    "PushTarget",
    "Sender",
    "SendResult",
]
