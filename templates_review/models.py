"""Tables owned by templates_review: templates, their versions and the append-only review decisions.

Other apps never write here: they call `services` (writes) and `selectors` (reads).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import MerchantOwned, MerchantScopedQuerySet


class Purpose(models.TextChoices):
    REVIEW_REQUEST = "review_request", _("Review request")
    DELIVERY_FOLLOWUP = "delivery_followup", _("Delivery follow-up")
    SERVICE_RECOVERY = "service_recovery", _("Service recovery")
    TRANSACTIONAL = "transactional", _("Transactional")
    # Fulfilment notices (transactional): one per order event of the same name.
    ORDER_SHIPPED = "order_shipped", _("Shipped notice")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out-for-delivery notice")
    DELIVERY_EXCEPTION = "delivery_exception", _("Delivery problem notice")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned-to-sender notice")
    # Marketing: a one-off send to a segment of past buyers.
    BROADCAST = "broadcast", _("Repeat-purchase broadcast")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    AMAZON_SOLICITATION = "amazon_solicitation", _("Amazon Request a Review / messaging")
    PUSH = "push", _("App and web push")
    PRINT = "print", _("Printed insert card")


class Marketplace(models.TextChoices):
    AMAZON = "amazon", _("Amazon")
    EBAY = "ebay", _("eBay")
    WALMART = "walmart", _("Walmart")
    ETSY = "etsy", _("Etsy")
    SHOPIFY = "shopify", _("Shopify store")
    WOOCOMMERCE = "woocommerce", _("WooCommerce store")
    OWN_SITE = "own_site", _("Own web shop")


# BCP 47 tags of the buyers' languages the linter has word lists for.
LOCALE_CHOICES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("pt", "Português"),
    ("nl", "Nederlands"),
    ("zh-Hans", "简体中文"),
    ("pl", "Polski"),
    ("sv", "Svenska"),
]
LOCALES = [code for code, _label in LOCALE_CHOICES]


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


# The only moves a version may make; services.transition() refuses anything else.
TRANSITIONS: dict[str, frozenset[str]] = {
    VersionStatus.DRAFT: frozenset({VersionStatus.SUBMITTED}),
    VersionStatus.SUBMITTED: frozenset({VersionStatus.APPROVED, VersionStatus.REJECTED}),
    VersionStatus.APPROVED: frozenset({VersionStatus.SUPERSEDED}),
    VersionStatus.REJECTED: frozenset(),
    VersionStatus.SUPERSEDED: frozenset(),
}


def move_allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


class MessageTemplate(MerchantOwned):
    """What a merchant names and edits; its text lives in versions."""

    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.REVIEW_REQUEST)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    marketplace = models.CharField(
        _("marketplace profile"), max_length=20, choices=Marketplace.choices, default=Marketplace.OWN_SITE
    )
    locale = models.CharField(_("language"), max_length=10, choices=LOCALE_CHOICES, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name", "locale", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "name", "channel", "locale"], name="template_unique_name_channel_locale"
            )
        ]
        indexes = [models.Index(fields=["merchant", "purpose", "channel", "locale"], name="template_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.locale}, {self.get_channel_display()})"


class TemplateVersionQuerySet(MerchantScopedQuerySet):
    def approved(self):
        return self.filter(status=VersionStatus.APPROVED)

    def review_queue(self):
        return self.filter(status=VersionStatus.SUBMITTED).order_by("submitted_at", "id")


class TemplateVersion(MerchantOwned):
    """One immutable text of a template once submitted; only an approved one is ever sent."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    link = models.CharField(
        _("link"),
        max_length=2000,
        blank=True,
        help_text=_("Push: the page opened on tap, e.g. {{ support_link }} or an https address."),
    )
    whatsapp_content_sid = models.CharField(
        _("WhatsApp content template id"),
        max_length=64,
        blank=True,
        help_text=_("The id (HX…) of the template Meta approved in your Twilio Content API account."),
    )
    whatsapp_variables = models.JSONField(
        _("WhatsApp variable mapping"),
        default=dict,
        blank=True,
        help_text=_('Placeholder number to Linkstar variable, e.g. {"1": "buyer.first_name"}.'),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    findings = models.JSONField(_("findings at submission"), default=list, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("superseded by")
    )

    objects = TemplateVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ["template", "-number"]
        permissions = [
            ("approve_templateversion", "Can approve template versions"),
            ("reject_templateversion", "Can reject template versions"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="version_unique_number"),
            models.UniqueConstraint(
                fields=["template"], condition=Q(status="approved"), name="version_one_approved_per_template"
            ),
            models.UniqueConstraint(
                fields=["template"], condition=Q(status="draft"), name="version_one_draft_per_template"
            ),
            models.UniqueConstraint(
                fields=["template"], condition=Q(status="submitted"), name="version_one_submitted_per_template"
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="version_queue_idx")]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number} ({self.get_status_display()})"

    @property
    def blocking_findings(self) -> list[dict]:
        return [f for f in self.findings or [] if f.get("severity") == "block"]


class DecisionAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")


class AppendOnlyQuerySet(MerchantScopedQuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Review decisions are append-only."))

    def delete(self):
        raise ValidationError(_("Review decisions are append-only."))


class ReviewDecision(MerchantOwned):
    """The audit trail: every submit, approve and reject, never edited or deleted (a database trigger agrees)."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(_("action"), max_length=10, choices=DecisionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_email = models.CharField(_("by"), max_length=254, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    override_reason = models.TextField(_("override of blocking findings"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["-created_at", "-id"]
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"{self.get_action_display()} v{self.version.number} by {self.actor_email or '—'}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Review decisions are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Review decisions are append-only."))
