"""Tables of the inserts app: printed after-sales cards packed with parcels, and their scans.

`inserts` sits beside `reviews` at the top of the dependency graph: it reads orders (which orders a
sheet is for, the buyer's language) and templates_review (an approved "print" template), and is imported
by none of the base apps. Each card has its own unguessable, signed token; each scan of its QR code is
one `CardScan` row, so reports can count scans beside the other channels' clicks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned


class CardSettings(MerchantOwned):
    """What goes on every card of a merchant: logo, postal address, where "get help" and "review" lead."""

    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    postal_address = models.TextField(_("postal address on the cards"), blank=True)
    help_url = models.URLField(
        _("help page"),
        blank=True,
        help_text=_("Where a scanned card leads. Empty: Linkstar's neutral card page with both links below."),
    )
    review_url = models.URLField(_("review page"), blank=True, help_text=_("Offered to every buyer on the card page."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("card settings")
        verbose_name_plural = _("card settings")
        constraints = [models.UniqueConstraint(fields=["merchant"], name="cardsettings_one_per_merchant")]

    def __str__(self) -> str:
        return f"Card settings of {self.merchant_id}"


class CardBatch(MerchantOwned):
    """One printed sheet: cards for a batch of orders, or copies of a store-wide card."""

    class Kind(models.TextChoices):
        ORDERS = "orders", _("For orders")
        STORE = "store", _("Store-wide")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    store = models.ForeignKey("orders.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=10, blank=True, help_text=_("Empty: each buyer's own."))
    card_count = models.PositiveIntegerField(_("cards"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card sheet")
        verbose_name_plural = _("card sheets")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="cardbatch_merchant_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class InsertCard(MerchantOwned):
    """One printed card with its own QR code. `message_ref` is the card's reference in the ledger (billing
    and reports key on it like on any message)."""

    batch = models.ForeignKey(CardBatch, on_delete=models.CASCADE, related_name="cards")
    position = models.PositiveIntegerField(default=0)
    token = models.CharField(max_length=80, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=10)
    headline = models.CharField(_("headline"), max_length=300)
    text = models.TextField(_("text"))
    message_ref = models.CharField(_("message reference"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("insert card")
        verbose_name_plural = _("insert cards")
        ordering = ["batch_id", "position"]

    def __str__(self) -> str:
        return f"Card {self.pk} of sheet {self.batch_id}"


class CardScan(MerchantOwned):
    """One scan of one card's QR code (no personal data: the time and a truncated user agent)."""

    card = models.ForeignKey(InsertCard, on_delete=models.CASCADE, related_name="scans")
    scanned_at = models.DateTimeField(_("scanned at"), auto_now_add=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    target = models.CharField(_("sent to"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("card scan")
        verbose_name_plural = _("card scans")
        ordering = ["-scanned_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-scanned_at"], name="cardscan_merchant_recent")]

    def __str__(self) -> str:
        return f"Scan of card {self.card_id} at {self.scanned_at:%Y-%m-%d %H:%M}"
