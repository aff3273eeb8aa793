"""Demo templates: approved review requests, fulfilment notices and broadcasts in several languages for both
demo merchants, one waiting in the review queue and one rejected with a reason. Idempotent: existing
templates are left as they are."""

from __future__ import annotations

from . import services
from .models import MessageTemplate, VersionStatus
from .starters import STARTERS_BY_KEY

APPROVED = [
    # (merchant key, starter key)
    *[("en", f"review-email-{loc}") for loc in ("en", "de", "fr", "es", "ja", "zh-Hans")],
    *[("en", f"review-sms-{loc}") for loc in ("en", "de", "fr", "es", "ja", "zh-Hans")],
    ("en", "review-amazon-en"),
    *[("zh", f"review-email-{loc}") for loc in ("en", "de", "fr", "es", "ja", "zh-Hans", "it")],
    *[("zh", f"review-sms-{loc}") for loc in ("en", "de", "fr", "es", "ja", "zh-Hans")],
    ("zh", "review-amazon-en"),
    ("zh", "review-amazon-de"),
    # fulfilment notices and the repeat-purchase broadcast, in the six languages of the starters
    *[
        (key, f"{purpose}-email-{loc}")
        for key in ("en", "zh")
        for purpose in ("order-shipped", "out-for-delivery", "delivery-exception", "returned-to-sender", "broadcast")
        for loc in ("en", "de", "fr", "es", "ja", "zh-Hans")
    ],
]

WAITING = {
    "name": "Delivery follow-up (waiting for review)",
    "purpose": "delivery_followup",
    "channel": "email",
    "marketplace": "own_site",
    "locale": "de",
    "subject": "Ist Ihre Bestellung {{ order.number }} gut angekommen?",
    "body_text": (
        "Hallo {{ buyer.first_name }},\n\nIhre Bestellung {{ order.number }} wurde zugestellt. "
        "Bitte prüfen Sie, ob alles vollständig ist. Bei Fragen helfen wir gerne: {{ support_link }}\n\n"
        "Eine ehrliche Bewertung hilft anderen Kunden: {{ review_link }}\n\n"
        "{{ store.name }} · {{ store.postal_address }}\nAbmelden: {{ unsubscribe_link }}"
    ),
}

REJECTED = {
    "name": "Review request with a thank-you (rejected)",
    "purpose": "review_request",
    "channel": "email",
    "marketplace": "own_site",
    "locale": "en",
    "subject": "Thanks for your order {{ order.number }}",
    "body_text": (
        "Hi {{ buyer.first_name }},\n\nThank you for your order. We hope you enjoy it!\n\n"
        "Tell us about it in a review: {{ review_link }}\n\n"
        "{{ store.name }} · {{ store.postal_address }}\nUnsubscribe: {{ unsubscribe_link }}"
    ),
    "reason": (
        "The review request itself is fine, but the original text offered a coupon for the next order right "
        "after it (an incentive). Keep the neutral request and send promotions separately."
    ),
}


def _template(ctx, merchant, spec: dict, user) -> tuple[MessageTemplate, bool]:
    existing = MessageTemplate.objects.filter(
        merchant=merchant, name=spec["name"], channel=spec["channel"], locale=spec["locale"]
    ).first()
    if existing is not None:
        return existing, False
    version = services.create_template(
        merchant=merchant,
        name=spec["name"],
        purpose=spec["purpose"],
        channel=spec["channel"],
        marketplace=spec["marketplace"],
        locale=spec["locale"],
        content=services.Content(
            subject=spec["subject"], body_text=spec["body_text"], body_html=spec.get("body_html", "")
        ),
        user=user,
    )
    return version.template, True


def load(ctx) -> None:
    reviewer = ctx.users["reviewer"]
    owners = {"en": ctx.users.get("en_owner"), "zh": ctx.users.get("zh_owner")}
    created = 0
    for merchant_key, starter_key in APPROVED:
        merchant = ctx.merchants[merchant_key]
        template, new = _template(ctx, merchant, STARTERS_BY_KEY[starter_key], owners[merchant_key])
        if not new:
            continue
        draft = template.versions.get(status=VersionStatus.DRAFT)
        services.submit_version(version=draft, user=owners[merchant_key])
        services.approve_version(version=draft, reviewer=reviewer)
        created += 1

    for merchant_key in ("zh", "en"):
        merchant = ctx.merchants[merchant_key]
        template, new = _template(ctx, merchant, WAITING, owners[merchant_key])
        if new:
            services.submit_version(
                version=template.versions.get(status=VersionStatus.DRAFT), user=owners[merchant_key]
            )
        template, new = _template(ctx, merchant, REJECTED, owners[merchant_key])
        if new:
            version = template.versions.get(status=VersionStatus.DRAFT)
            services.submit_version(version=version, user=owners[merchant_key])
            services.reject_version(version=version, reviewer=reviewer, reason=REJECTED["reason"])
    ctx.write(f"templates_review: {created} approved demo templates added")
