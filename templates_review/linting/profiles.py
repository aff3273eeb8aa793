"""Policy profiles: which rules apply, chosen by channel, marketplace, region and purpose.

A table, not scattered ifs. Another app adding a channel (push, printed cards) calls
`register_channel("push", {...})` from its AppConfig.ready().
"""

from __future__ import annotations

CONTENT_RULES = frozenset(
    {
        "template.syntax",
        "template.unknown_variable",
        "template.unsupported",
        "template.render",
        "template.too_long",
        "content.empty",
        "incentive.review",
        "review.positive",
        "review.dictate",
        "review.gating",
        "review.change",
    }
)

CHANNEL_RULES: dict[str, frozenset[str]] = {
    "email": frozenset(
        {
            "email.subject_missing",
            "email.unsubscribe_missing",
            "email.postal_address_missing",
            "email.spam_wording",
            "email.subject_caps",
            "link.shortener",
        }
    ),
    "sms": frozenset({"sms.url_shortener", "sms.brand_missing", "sms.stop_missing", "sms.segments"}),
    "whatsapp": frozenset({"link.shortener", "whatsapp.us_marketing"}),
    "amazon_solicitation": frozenset(),
    "push": frozenset({"link.shortener", "push.title_missing", "push.too_long", "push.link_invalid"}),
    "print": frozenset(),
}

MARKETPLACE_RULES: dict[str, frozenset[str]] = {
    "amazon": frozenset(
        {
            "amazon.channel",
            "amazon.external_link",
            "amazon.opt_out",
            "amazon.marketing",
            "amazon.remote_content",
            "amazon.contact_outside",
        }
    ),
    "ebay": frozenset({"ebay.external_link", "ebay.contact_outside"}),
    "walmart": frozenset(),
    "etsy": frozenset(),
    "shopify": frozenset(),
    "woocommerce": frozenset(),
    "own_site": frozenset(),
}

# Channels that are themselves a marketplace's messaging: its profile applies whatever the template says.
CHANNEL_MARKETPLACE = {"amazon_solicitation": "amazon"}

# Rules that apply only when a campaign targets one of these countries (ISO 3166-1 alpha-2).
REGION_GATED: dict[str, frozenset[str]] = {"whatsapp.us_marketing": frozenset({"US"})}

# Transactional messages need no opt-out (CAN-SPAM, CTIA) and are not WhatsApp marketing.
TRANSACTIONAL_EXEMPT = frozenset(
    {"email.unsubscribe_missing", "email.postal_address_missing", "sms.stop_missing", "whatsapp.us_marketing"}
)

PURPOSES = (
    "review_request",
    "delivery_followup",
    "service_recovery",
    "transactional",
    "order_shipped",
    "out_for_delivery",
    "delivery_exception",
    "returned_to_sender",
    "broadcast",
)
# Order status notices (see templates_review.models.TRANSACTIONAL_PURPOSES): exempt like "transactional".
TRANSACTIONAL_PURPOSES = frozenset(
    {"transactional", "order_shipped", "out_for_delivery", "delivery_exception", "returned_to_sender"}
)


def register_channel(channel: str, rules: set[str] | frozenset[str]) -> None:
    CHANNEL_RULES[channel] = frozenset(rules)


def known_channels() -> list[str]:
    return sorted(CHANNEL_RULES)


def known_marketplaces() -> list[str]:
    return sorted(MARKETPLACE_RULES)


def rules_for(
    *, channel: str, marketplace: str | None, purpose: str | None, countries: frozenset[str]
) -> frozenset[str]:
    codes = set(CONTENT_RULES) | set(CHANNEL_RULES[channel])
    markets = {m for m in (marketplace, CHANNEL_MARKETPLACE.get(channel)) if m}
    for market in markets:
        codes |= MARKETPLACE_RULES.get(market, frozenset())
    if "amazon" in markets:
        # Amazon's own messaging carries no opt-out link or sender address of ours.
        codes -= {"email.unsubscribe_missing", "email.postal_address_missing"}
    for code, regions in REGION_GATED.items():
        if code in codes and not (regions & countries):
            codes.discard(code)
    if purpose in TRANSACTIONAL_PURPOSES:
        codes -= TRANSACTIONAL_EXEMPT
    return frozenset(codes)
