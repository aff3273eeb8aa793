"""Tables owned by the billing app (see ../shared/DESIGN.md); other apps use its services and selectors.

Money is `Decimal` with six decimal places beside a currency code, never float.
Signs in the ledger: positive puts money into the wallet (top-up, credit),
negative takes it out (usage, plan fee, debit adjustment, refund paid out).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 6}


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    AMAZON_SOLICITATION = "amazon_solicitation", _("Amazon Request a Review")
    PUSH = "push", _("App and web push")


# Channels whose destination country is restricted by the merchant's allow-list (SMS pumping).
COUNTRY_RESTRICTED_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})
ALL_CHANNELS = "all"


class MessageClass(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    UTILITY = "utility", _("Utility")
    TRANSACTIONAL = "transactional", _("Transactional")


class DenyReason(models.TextChoices):
    """Why `authorize_send` refused; dispatch shows the label to the merchant."""

    INSUFFICIENT_BALANCE = "insufficient_balance", _("Insufficient balance")
    DAILY_CAP_REACHED = "daily_cap_reached", _("Daily budget cap reached")
    MONTHLY_CAP_REACHED = "monthly_cap_reached", _("Monthly budget cap reached")
    COUNTRY_NOT_ALLOWED = "country_not_allowed", _("Destination country not allowed")
    NO_PRICE = "no_price", _("No price for this channel and country")
    ALREADY_BILLED = "already_billed", _("This message was already billed")


# --- price book --------------------------------------------------------------------------


class PriceBookQuerySet(models.QuerySet):
    def effective_at(self, moment):
        return self.filter(effective_from__lte=moment).order_by("-effective_from", "-version")


class PriceBook(models.Model):
    """One version of the price list. A version that priced a message is never edited again."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    effective_from = models.DateTimeField(_("effective from"), unique=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PriceBookQuerySet.as_manager()

    class Meta:
        verbose_name = _("price book")
        verbose_name_plural = _("price books")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


class Price(models.Model):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="prices")
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    country = models.CharField(
        _("destination country"), max_length=2, help_text=_("ISO 3166 code, or * for every other country.")
    )
    message_class = models.CharField(_("message class"), max_length=16, choices=MessageClass.choices)
    unit_price = models.DecimalField(
        _("unit price"), validators=[MinValueValidator(ZERO)], help_text=_("Per message; per segment for SMS."), **MONEY
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["channel", "country", "message_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "channel", "country", "message_class"], name="price_unique_per_book"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.country} {self.message_class}: {self.unit_price}"


# --- plans ---------------------------------------------------------------------------------


class Plan(models.Model):
    """A monthly fee with a volume of messages included per channel (SMS: segments)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    monthly_fee = models.DecimalField(_("monthly fee"), validators=[MinValueValidator(ZERO)], **MONEY)
    included_email = models.PositiveIntegerField(_("emails included"), default=0)
    included_sms = models.PositiveIntegerField(_("SMS segments included"), default=0)
    included_whatsapp = models.PositiveIntegerField(_("WhatsApp messages included"), default=0)
    included_amazon_solicitation = models.PositiveIntegerField(_("Amazon review requests included"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["monthly_fee", "code"]

    def __str__(self) -> str:
        return self.name

    def included_for(self, channel: str) -> int:
        return getattr(self, f"included_{channel}", 0)


class Subscription(MerchantOwned):
    """The merchant's plan over time; at most one open (ended_at empty) per merchant."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"], condition=Q(ended_at__isnull=True), name="subscription_one_open_per_merchant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} → {self.plan}"


# --- wallet and ledger ---------------------------------------------------------------------


class Wallet(MerchantOwned):
    """The prepaid balance, kept beside the ledger and changed only under this row's lock.

    `reserved` is what authorised, not yet recorded messages hold; `credit_limit`
    lets staff allow a postpaid merchant to go below zero.
    """

    currency = models.CharField(_("currency"), max_length=3, default="USD")
    balance = models.DecimalField(_("balance"), default=ZERO, **MONEY)
    reserved = models.DecimalField(_("reserved"), default=ZERO, **MONEY)
    credit_limit = models.DecimalField(
        _("credit limit"),
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=_("How far below zero the balance may go (postpaid merchants)."),
        **MONEY,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="wallet_one_per_merchant"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="wallet_reserved_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant}: {self.balance} {self.currency}"

    @property
    def available(self) -> Decimal:
        return self.balance + self.credit_limit - self.reserved


class LedgerEntry(MerchantOwned):
    """Append-only: every change of a wallet's balance, with who and why. Never updated or deleted."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        USAGE = "usage", _("Usage")
        PLAN_FEE = "plan_fee", _("Plan fee")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REFUND = "refund", _("Refund")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    period = models.DateField(_("statement month"), help_text=_("First day of the month whose statement shows it."))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reference = models.CharField(
        _("reference"), max_length=120, blank=True, help_text=_("Payment reference or message reference.")
    )
    usage_record = models.OneToOneField(
        "billing.UsageRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "period", "kind"], name="ledger_merchant_period_kind")]
        constraints = [
            # One plan fee per month; one top-up per payment reference (replays of a payment do nothing).
            models.UniqueConstraint(
                fields=["merchant", "period"], condition=Q(kind="plan_fee"), name="ledger_one_plan_fee_per_month"
            ),
            models.UniqueConstraint(
                fields=["merchant", "reference"],
                condition=Q(kind="top_up") & ~Q(reference=""),
                name="ledger_top_up_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


# --- caps ----------------------------------------------------------------------------------


class BudgetCap(MerchantOwned):
    """A merchant's ceilings on spend (blank = none) and where SMS and WhatsApp may go.

    The country allow-list follows the countries the merchant's stores ship
    to when `countries_follow_stores` is on and a provider is registered in
    `billing.hooks`; otherwise the explicit `allowed_countries` list applies.
    """

    monthly_limit = models.DecimalField(
        _("monthly cap"), null=True, blank=True, validators=[MinValueValidator(ZERO)], **MONEY
    )
    daily_limit = models.DecimalField(
        _("daily cap"), null=True, blank=True, validators=[MinValueValidator(ZERO)], **MONEY
    )
    allowed_countries = models.JSONField(_("countries allowed for SMS and WhatsApp"), default=list, blank=True)
    countries_follow_stores = models.BooleanField(
        _("follow my stores' shipping countries"),
        default=True,
        help_text=_("When on, SMS and WhatsApp may go to the countries your stores ship to."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("budget cap")
        verbose_name_plural = _("budget caps")
        constraints = [models.UniqueConstraint(fields=["merchant"], name="budget_cap_one_per_merchant")]

    def __str__(self) -> str:
        return f"{self.merchant}: {self.monthly_limit} / month, {self.daily_limit} / day"


class ChannelCap(MerchantOwned):
    """An optional ceiling for one channel, on top of the merchant-wide cap."""

    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    monthly_limit = models.DecimalField(
        _("monthly cap"), null=True, blank=True, validators=[MinValueValidator(ZERO)], **MONEY
    )
    daily_limit = models.DecimalField(
        _("daily cap"), null=True, blank=True, validators=[MinValueValidator(ZERO)], **MONEY
    )

    class Meta:
        verbose_name = _("channel cap")
        verbose_name_plural = _("channel caps")
        ordering = ["channel"]
        constraints = [models.UniqueConstraint(fields=["merchant", "channel"], name="channel_cap_unique")]

    def __str__(self) -> str:
        return f"{self.merchant} {self.channel}"


class SpendCounter(MerchantOwned):
    """Spend of one merchant in one day or month, overall (`channel='all'`) or for one channel.

    Changed with F() expressions only while the merchant's wallet row is
    locked, so concurrent authorisations see each other's reservations.
    """

    class Scope(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")

    scope = models.CharField(max_length=5, choices=Scope.choices)
    period_start = models.DateField()
    channel = models.CharField(max_length=24)
    amount_used = models.DecimalField(default=ZERO, **MONEY)
    amount_reserved = models.DecimalField(default=ZERO, **MONEY)
    free_used = models.PositiveIntegerField(default=0)
    free_reserved = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("spend counter")
        verbose_name_plural = _("spend counters")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "scope", "period_start", "channel"], name="spend_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.scope} {self.period_start} {self.channel}"

    @property
    def total(self) -> Decimal:
        return self.amount_used + self.amount_reserved


class CapAlert(MerchantOwned):
    """An alert at 80 % or 100 % of one cap, once per period and cap value (raising the cap re-arms it)."""

    scope = models.CharField(_("period"), max_length=5, choices=SpendCounter.Scope.choices)
    channel = models.CharField(_("channel"), max_length=24)
    period_start = models.DateField(_("period start"))
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    limit = models.DecimalField(_("cap"), **MONEY)
    spent = models.DecimalField(_("spent and reserved"), **MONEY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cap alert")
        verbose_name_plural = _("cap alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "scope", "channel", "period_start", "threshold", "limit"],
                name="cap_alert_once_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.scope} {self.channel} {self.threshold}%"


# --- reservations and usage ----------------------------------------------------------------


class Reservation(MerchantOwned):
    """The estimated cost of one authorised message, held until `record_usage` settles it."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        CONSUMED = "consumed", _("Billed")
        RELEASED = "released", _("Released")

    message_ref = models.CharField(_("message reference"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD)
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    country = models.CharField(_("country"), max_length=2)
    message_class = models.CharField(_("message class"), max_length=16, choices=MessageClass.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    free_units = models.PositiveIntegerField(_("units included in the plan"), default=0)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    price_book = models.ForeignKey(PriceBook, on_delete=models.PROTECT, related_name="reservations")
    day = models.DateField()
    month = models.DateField()
    created_at = models.DateTimeField(_("created at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="reservation_status_created"),
            models.Index(fields=["merchant", "status"], name="reservation_merchant_status"),
        ]

    def __str__(self) -> str:
        return f"{self.message_ref} {self.status}"


class UsageRecord(MerchantOwned):
    """One per sent message (unique on its reference): what was sent where, and what it cost."""

    message_ref = models.CharField(_("message reference"), max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    country = models.CharField(_("country"), max_length=2)
    message_class = models.CharField(_("message class"), max_length=16, choices=MessageClass.choices)
    quantity = models.PositiveIntegerField(_("quantity"), help_text=_("Segments for SMS, else 1."))
    included_units = models.PositiveIntegerField(_("units included in the plan"), default=0)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    price_book = models.ForeignKey(PriceBook, on_delete=models.PROTECT, related_name="usage_records")
    period = models.DateField(_("statement month"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "period", "channel", "country"], name="usage_merchant_period"),
            models.Index(fields=["merchant", "-created_at"], name="usage_merchant_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.message_ref}: {self.amount} {self.currency}"


# --- statements ----------------------------------------------------------------------------


class Statement(MerchantOwned):
    """A closed month: written once by `close_statement`, never changed afterwards."""

    month = models.DateField(_("month"))
    currency = models.CharField(_("currency"), max_length=3)
    plan_name = models.CharField(_("plan"), max_length=80, blank=True)
    plan_fee = models.DecimalField(_("plan fee"), default=ZERO, **MONEY)
    usage_amount = models.DecimalField(_("usage"), default=ZERO, **MONEY)
    adjustments = models.DecimalField(_("adjustments"), default=ZERO, help_text=_("Positive is a credit."), **MONEY)
    total = models.DecimalField(_("total charges"), default=ZERO, **MONEY)
    top_ups = models.DecimalField(_("top-ups"), default=ZERO, **MONEY)
    refunds = models.DecimalField(_("refunds paid out"), default=ZERO, **MONEY)
    opening_balance = models.DecimalField(_("opening balance"), default=ZERO, **MONEY)
    closing_balance = models.DecimalField(_("closing balance"), default=ZERO, **MONEY)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["merchant", "month"], name="statement_one_per_month")]

    def __str__(self) -> str:
        return f"{self.merchant} {self.month:%Y-%m}"


class StatementLine(models.Model):
    class Kind(models.TextChoices):
        USAGE = "usage", _("Usage")
        PLAN_FEE = "plan_fee", _("Plan fee")
        ADJUSTMENT = "adjustment", _("Adjustment")
        TOP_UP = "top_up", _("Top-up")
        REFUND = "refund", _("Refund")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    channel = models.CharField(_("channel"), max_length=24, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    message_class = models.CharField(_("message class"), max_length=16, blank=True)
    messages = models.PositiveIntegerField(_("messages"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    included_units = models.PositiveIntegerField(_("included units"), default=0)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "position"]
        constraints = [models.UniqueConstraint(fields=["statement", "position"], name="statement_line_position")]

    def __str__(self) -> str:
        return f"{self.statement} #{self.position}"
