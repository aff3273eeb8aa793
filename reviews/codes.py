"""Why a message was not sent (or is still waiting): one code per reason, readable in English and Chinese.

Codes are stored on `Message.reason_code`; the labels are translated in the app's catalogue. A code on a
`planned` message says why it is waiting; on a `skipped`, `failed`, `held_out` or `unknown` one, why it
ended there.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Code(models.TextChoices):
    # order exclusions
    CANCELLED = "cancelled", _("Order cancelled")
    REFUNDED = "refunded", _("Order refunded")
    RETURNED = "returned", _("Order returned")
    CLAIM_OPEN = "claim_open", _("A claim is open on the order")
    ALREADY_REVIEWED = "already_reviewed", _("The buyer already reviewed")
    FULFILMENT_EXCLUDED = "fulfilment_excluded", _("Fulfilment channel excluded")
    SKU_EXCLUDED = "sku_excluded", _("SKU excluded")
    SKU_NOT_INCLUDED = "sku_not_included", _("No SKU of the campaign's list")
    PRODUCT_EXCLUDED = "product_excluded", _("Product excluded")
    PRODUCT_NOT_INCLUDED = "product_not_included", _("No product of the campaign's list")
    CATEGORY_EXCLUDED = "category_excluded", _("Category excluded")
    CATEGORY_NOT_INCLUDED = "category_not_included", _("No category of the campaign's list")
    COUNTRY_EXCLUDED = "country_excluded", _("Ship-to country excluded")
    TOTAL_BELOW_MINIMUM = "total_below_minimum", _("Order total below the minimum")
    REPEAT_BUYER = "repeat_buyer", _("Repeat buyer")
    TOO_OLD = "too_old", _("Delivered too long ago")
    NOT_DELIVERED = "not_delivered", _("Not delivered yet")
    NOT_DUE = "not_due", _("Not due yet")
    STORE_NOT_IN_CAMPAIGN = "store_not_in_campaign", _("The store is not in the campaign")
    HELD_OUT = "held_out", _("Held out (control group)")
    NO_RECENT_EVENT = "no_recent_event", _("No such order event in the last 3 days")
    NOT_IN_SEGMENT = "not_in_segment", _("The buyer is not in the broadcast's segment")
    NOTICE_SUPERSEDED = "notice_superseded", _("The order was delivered before the notice could go")
    DUPLICATE_BUYER = "duplicate_buyer", _("The same buyer is already in the broadcast through another store")
    # who and how to reach
    NO_CHANNEL_PLAN = "no_channel_plan", _("No channel planned for this country")
    NO_CONTACT = "no_contact", _("No address for any planned channel")
    RELAY_ADDRESS = "relay_address", _("Marketplace relay address: never emailed")
    AMAZON_ONLY = "amazon_only", _("Amazon buyers are reached only through Amazon")
    AMAZON_WINDOW_CLOSED = "amazon_window_closed", _("Amazon's review window has closed")
    AMAZON_NO_DATES = "amazon_no_dates", _("Amazon order without delivery dates")
    BUYER_ERASED = "buyer_erased", _("The buyer's personal data was erased")
    NO_CONSENT = "no_consent", _("No consent for a marketing message")
    SUPPRESSED = "suppressed", _("On the suppression list")
    TEST_MODE = "test_mode", _("Test mode: not a test recipient")
    FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached for this buyer")
    NO_TEMPLATE = "no_template", _("No approved template for the buyer's language")
    RENDER_FAILED = "render_failed", _("The template could not be rendered")
    REMINDER_NOT_NEEDED = "reminder_not_needed", _("No reminder: the buyer already clicked")
    CAMPAIGN_STOPPED = "campaign_stopped", _("Campaign stopped")
    # billing (the same codes as billing.models.DenyReason)
    INSUFFICIENT_BALANCE = "insufficient_balance", _("Insufficient balance")
    DAILY_CAP_REACHED = "daily_cap_reached", _("Daily budget cap reached")
    MONTHLY_CAP_REACHED = "monthly_cap_reached", _("Monthly budget cap reached")
    COUNTRY_NOT_ALLOWED = "country_not_allowed", _("Destination country not allowed")
    NO_PRICE = "no_price", _("No price for this channel and country")
    ALREADY_BILLED = "already_billed", _("This message was already billed")
    # waiting (on planned messages)
    OUTSIDE_WINDOW = "outside_window", _("Waiting for the buyer's sending window")
    AMAZON_WINDOW_NOT_OPEN = "amazon_window_not_open", _("Waiting for Amazon's review window")
    FREQUENCY_GAP = "frequency_gap", _("Waiting: the buyer got a message recently")
    CAMPAIGN_DAILY_CAP = "campaign_daily_cap", _("Waiting: the campaign's daily cap is reached")
    RATE_LIMITED = "rate_limited", _("Waiting: the channel account's send rate")
    CAMPAIGN_PAUSED = "campaign_paused", _("Waiting: campaign paused")
    MERCHANT_PAUSED = "merchant_paused", _("Waiting: sending paused for the merchant")
    GLOBAL_STOP = "global_stop", _("Waiting: sending stopped by Linkstar")
    RETRYING = "retrying", _("Temporary failure: will retry")
    # sending outcomes
    PERMANENT_FAILURE = "permanent_failure", _("The provider refused the message")
    RETRIES_EXHAUSTED = "retries_exhausted", _("Temporary failures: gave up after the last retry")
    LEASE_EXPIRED = "lease_expired", _("The worker stopped mid-send: may have been sent, never resent")
    PROVIDER_UNKNOWN = "provider_unknown", _("The provider's answer was lost: may have been sent, never resent")
    BOUNCED = "bounced", _("Bounced")


# Billing refusals that are about the money (wait and try again) rather than this message.
BUDGET_WAIT_CODES = frozenset({Code.INSUFFICIENT_BALANCE, Code.DAILY_CAP_REACHED, Code.MONTHLY_CAP_REACHED})


def label(code: str) -> str:
    try:
        return str(Code(code).label)
    except ValueError:
        return code
