"""Tables owned by the insights app (see ../shared/DESIGN.md); reports themselves are computed, not stored.

- `BreakerTrip`: one automatic pause of a channel account's campaigns (which rule, the figures that
  crossed it, the campaigns paused). Kept for good: resuming a campaign never deletes its trip.
- `Notice`: one message to a merchant (in-app, and by email to its owners), unique per merchant and key,
  so the same event never produces two notices. Its words are rendered from `kind` and `params` in the
  reader's language (see insights.notices).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned, MerchantScopedQuerySet


class BreakerRule(models.TextChoices):
    COMPLAINTS = "complaints", _("Complaint rate")
    HARD_BOUNCES = "hard_bounces", _("Hard bounce rate")
    PROVIDER_ERRORS = "provider_errors", _("Provider error rate")
    UNSUBSCRIBE_SPIKE = "unsubscribe_spike", _("Unsubscribe spike")


class BreakerTrip(MerchantOwned):
    account = models.ForeignKey(
        "channels.ChannelAccount", on_delete=models.CASCADE, related_name="+", verbose_name=_("channel account")
    )
    rule = models.CharField(_("rule"), max_length=20, choices=BreakerRule.choices)
    # `key` is "<account id>:<id of the account's previous trip or 0>": two evaluations racing over the same
    # figures insert the same key, and the unique constraint lets only one of them trip.
    key = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.DecimalField(_("observed"), max_digits=12, decimal_places=6)
    threshold = models.DecimalField(_("threshold"), max_digits=12, decimal_places=6)
    numerator = models.PositiveIntegerField(_("events"))
    denominator = models.PositiveIntegerField(_("sample"))
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    campaign_ids = models.JSONField(_("campaigns paused"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    tripped_at = models.DateTimeField(_("tripped at"))

    class Meta:
        verbose_name = _("circuit breaker trip")
        verbose_name_plural = _("circuit breaker trips")
        ordering = ["-tripped_at", "-id"]
        indexes = [models.Index(fields=["account", "-tripped_at"], name="breakertrip_account_recent")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.rule} {self.tripped_at:%Y-%m-%d %H:%M}"


class NoticeKind(models.TextChoices):
    BREAKER_TRIP = "breaker_trip", _("Circuit breaker")
    BUDGET_ALERT = "budget_alert", _("Budget alert")
    TEMPLATE_REJECTED = "template_rejected", _("Template rejected")
    STORE_FAILING = "store_failing", _("Store connection failing")
    ACCOUNT_FAILING = "account_failing", _("Channel account failing")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest")


class NoticeLevel(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    DANGER = "danger", _("Action needed")


class NoticeQuerySet(MerchantScopedQuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notice(MerchantOwned):
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    key = models.CharField(_("key"), max_length=120, help_text="unique per merchant: the same event never twice")
    level = models.CharField(_("level"), max_length=10, choices=NoticeLevel.choices, default=NoticeLevel.INFO)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="notice_unique_key")]
        indexes = [
            models.Index(
                fields=["merchant", "-created_at"], name="notice_unread", condition=models.Q(read_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.key}"
