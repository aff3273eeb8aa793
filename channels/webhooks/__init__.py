"""Inbound webhooks on per-account URLs: /channels/hooks/<webhook token>/<provider>/<hook>/.

Every view verifies first (the account's own secret: basic auth, Mailgun's signing key, the SNS
message signature, Twilio's X-Twilio-Signature) and answers 401 / 403 with nothing written; then
it stores the events (deduplicated by the provider's event id), acts on suppressions at once and
leaves status changes and listeners to a task.
"""

from .esp import (
    MailgunInboundHook,
    MailgunTrackingHook,
    PostmarkInboundHook,
    PostmarkTrackingHook,
    SesInboundHook,
    SesTrackingHook,
)
from .twilio import TwilioInboundHook, TwilioStatusHook

HOOKS = {
    ("postmark", "tracking"): PostmarkTrackingHook,
    ("postmark", "inbound"): PostmarkInboundHook,
    ("mailgun", "tracking"): MailgunTrackingHook,
    ("mailgun", "inbound"): MailgunInboundHook,
    ("amazon_ses", "tracking"): SesTrackingHook,
    ("amazon_ses", "inbound"): SesInboundHook,
    ("twilio", "status"): TwilioStatusHook,
    ("twilio", "inbound"): TwilioInboundHook,
}
