"""Writes for templates_review: templates, drafts, the review state machine, rendering for sending.

Views, the API, admin actions and other apps (campaigns) call these; nothing else
writes the app's tables. Every status change goes through `_move`, which refuses
moves that are not in `models.TRANSITIONS`, and every submit / approve / reject
writes its `ReviewDecision` in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant, User

from . import rendering
from .linting import LintResult, lint
from .models import (
    LOCALES,
    Channel,
    DecisionAction,
    Marketplace,
    MessageTemplate,
    Purpose,
    ReviewDecision,
    TemplateVersion,
    VersionStatus,
    move_allowed,
)
from .rendering import RenderedMessage, RenderError, UnknownVariableError  # noqa: F401  (re-exported for callers)
from .starters import STARTERS_BY_KEY

_WHATSAPP_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")


class TransitionError(ValidationError):
    """A status move that the table of transitions does not allow."""


class NotApprovedError(RenderError):
    """Only an approved version may be rendered for sending."""


@dataclass(frozen=True)
class Content:
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    whatsapp_content_sid: str = ""
    whatsapp_variables: dict | None = None
    link: str = ""  # push only


def content_hash(version: TemplateVersion) -> str:
    """A SHA-256 of what is reviewed: the three bodies, the WhatsApp mapping and (push) the link.

    The link joins the hashed list only when set, so versions approved before push existed keep their hash.
    """
    payload = json.dumps(
        [
            version.subject,
            version.body_text,
            version.body_html,
            version.whatsapp_content_sid,
            version.whatsapp_variables or {},
            *([version.link] if version.link else []),
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lint_version(version: TemplateVersion, *, countries: tuple[str, ...] = ()) -> LintResult:
    template = version.template
    return lint(
        channel=template.channel,
        marketplace=template.marketplace,
        locale=template.locale,
        purpose=template.purpose,
        subject=version.subject,
        body_text=version.body_text,
        body_html=version.body_html if template.channel == Channel.EMAIL else "",
        countries=countries,
        brand_names=[template.merchant.name],
        link=version.link if template.channel == Channel.PUSH else "",
    )


def _move(version: TemplateVersion, target: str) -> None:
    if not move_allowed(version.status, target):
        raise TransitionError(
            _("A %(current)s version cannot become %(target)s.")
            % {"current": VersionStatus(version.status).label, "target": VersionStatus(target).label}
        )
    version.status = target


def _record(
    version: TemplateVersion, action: str, actor: User | None, *, reason: str = "", override: str = ""
) -> ReviewDecision:
    return ReviewDecision.objects.create(
        merchant_id=version.merchant_id,
        version=version,
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        reason=reason,
        override_reason=override,
        content_hash=version.content_hash or content_hash(version),
    )


def _clean_meta(*, name: str, purpose: str, channel: str, marketplace: str, locale: str) -> dict:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the template a name.")
    if purpose not in Purpose.values:
        errors["purpose"] = _("Unknown purpose.")
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if marketplace not in Marketplace.values:
        errors["marketplace"] = _("Unknown marketplace profile.")
    if locale not in LOCALES:
        errors["locale"] = _("Unknown language.")
    if errors:
        raise ValidationError(errors)
    return {"name": name[:120], "purpose": purpose, "channel": channel, "marketplace": marketplace, "locale": locale}


def _apply_content(version: TemplateVersion, content: Content) -> None:
    if len(content.subject) > 300:
        raise ValidationError({"subject": _("The subject is longer than 300 characters.")})
    for field in ("body_text", "body_html"):
        if len(getattr(content, field)) > rendering.MAX_SOURCE_CHARS:
            raise ValidationError({field: _("The text is too long.")})
    variables = content.whatsapp_variables or {}
    if not isinstance(variables, dict) or any(
        not str(k).isdigit() or v not in rendering.VARIABLE_PATHS for k, v in variables.items()
    ):
        raise ValidationError(
            {"whatsapp_variables": _('Map placeholder numbers to Linkstar variables, e.g. {"1": "buyer.first_name"}.')}
        )
    if len(content.link) > 2000:
        raise ValidationError({"link": _("The link is longer than 2,000 characters.")})
    version.link = content.link.strip()
    version.subject = content.subject
    version.body_text = content.body_text
    version.body_html = content.body_html
    version.whatsapp_content_sid = content.whatsapp_content_sid.strip()
    version.whatsapp_variables = {str(k): v for k, v in variables.items()}


@transaction.atomic
def create_template(
    *,
    merchant: Merchant,
    name: str,
    purpose: str,
    channel: str,
    marketplace: str,
    locale: str,
    content: Content,
    user: User | None,
) -> TemplateVersion:
    """A new template with its first draft."""
    meta = _clean_meta(name=name, purpose=purpose, channel=channel, marketplace=marketplace, locale=locale)
    if MessageTemplate.objects.filter(merchant=merchant, name=meta["name"], channel=channel, locale=locale).exists():
        raise ValidationError({"name": _("You already have a template with this name for this channel and language.")})
    template = MessageTemplate.objects.create(merchant=merchant, created_by=user, **meta)
    version = TemplateVersion(merchant=merchant, template=template, number=1, created_by=user)
    _apply_content(version, content)
    version.save()
    return version


@transaction.atomic
def save_draft(*, template: MessageTemplate, content: Content, user: User | None) -> TemplateVersion:
    """Edit the template's draft, or start a new draft; an approved version stays live meanwhile."""
    MessageTemplate.objects.select_for_update().filter(pk=template.pk).first()
    draft = template.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is None:
        number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = TemplateVersion(merchant_id=template.merchant_id, template=template, number=number, created_by=user)
    _apply_content(draft, content)
    draft.save()
    MessageTemplate.objects.filter(pk=template.pk).update(updated_at=timezone.now())
    return draft


def update_template_settings(*, template: MessageTemplate, name: str, purpose: str, marketplace: str) -> None:
    """Rename or re-profile a template; channel and language are fixed once created."""
    meta = _clean_meta(
        name=name, purpose=purpose, channel=template.channel, marketplace=marketplace, locale=template.locale
    )
    template.name, template.purpose, template.marketplace = meta["name"], meta["purpose"], meta["marketplace"]
    try:
        with transaction.atomic():
            template.save(update_fields=["name", "purpose", "marketplace", "updated_at"])
    except IntegrityError:
        raise ValidationError({"name": _("You already have a template with this name.")}) from None


class SubmissionBlocked(ValidationError):
    def __init__(self, result: LintResult):
        super().__init__(_("Fix the blocking findings before submitting."))
        self.result = result


@transaction.atomic
def submit_version(*, version: TemplateVersion, user: User | None) -> TemplateVersion:
    """Draft -> submitted, refused while the linter finds anything blocking."""
    version = TemplateVersion.objects.select_for_update().select_related("template__merchant").get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        _move(version, VersionStatus.SUBMITTED)  # raises with a clear message
    if version.template.channel == Channel.WHATSAPP and not _WHATSAPP_SID.match(version.whatsapp_content_sid or ""):
        raise ValidationError(
            {
                "whatsapp_content_sid": _(
                    "Enter the id (HX followed by 32 hex digits) of your approved WhatsApp template."
                )
            }
        )
    if version.template.versions.filter(status=VersionStatus.SUBMITTED).exclude(pk=version.pk).exists():
        raise ValidationError(_("Another version of this template is already waiting for review."))
    result = lint_version(version)
    if result.blocking:
        raise SubmissionBlocked(result)
    _move(version, VersionStatus.SUBMITTED)
    version.findings = [f.as_dict() for f in result.findings]
    version.content_hash = content_hash(version)
    version.submitted_by = user
    version.submitted_at = timezone.now()
    version.rejection_reason = ""
    version.save(
        update_fields=["status", "findings", "content_hash", "submitted_by", "submitted_at", "rejection_reason"]
    )
    _record(version, DecisionAction.SUBMIT, user)
    return version


@transaction.atomic
def approve_version(*, version: TemplateVersion, reviewer: User, override_reason: str = "") -> TemplateVersion:
    """Submitted -> approved; the previously approved version becomes superseded in the same transaction.

    The linter runs again (rules may have changed since submission): a blocking finding
    needs a recorded override reason.
    """
    version = TemplateVersion.objects.select_for_update().select_related("template__merchant").get(pk=version.pk)
    _move(version, VersionStatus.APPROVED)
    if content_hash(version) != version.content_hash:
        raise ValidationError(_("The text changed after submission; it cannot be approved."))
    result = lint_version(version)
    blocking = result.blocking or bool(version.blocking_findings)
    override_reason = (override_reason or "").strip()
    if blocking and not override_reason:
        raise ValidationError(
            {"override_reason": _("This version has blocking findings: record an override reason to approve it.")}
        )
    now = timezone.now()
    previous = (
        TemplateVersion.objects.select_for_update()
        .filter(template_id=version.template_id, status=VersionStatus.APPROVED)
        .first()
    )
    if previous is not None:
        _move(previous, VersionStatus.SUPERSEDED)
        previous.superseded_at = now
        previous.superseded_by = version
        previous.save(update_fields=["status", "superseded_at", "superseded_by"])
    version.decided_by = reviewer
    version.decided_at = now
    version.override_reason = override_reason if blocking else ""
    version.save(update_fields=["status", "decided_by", "decided_at", "override_reason"])
    decision = _record(version, DecisionAction.APPROVE, reviewer, override=version.override_reason)
    _notify_on_commit(decision)
    return version


@transaction.atomic
def reject_version(*, version: TemplateVersion, reviewer: User, reason: str) -> TemplateVersion:
    """Submitted -> rejected, with the reason the merchant will read."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the version is rejected; the merchant will read it.")})
    version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
    _move(version, VersionStatus.REJECTED)
    version.decided_by = reviewer
    version.decided_at = timezone.now()
    version.rejection_reason = reason
    version.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    decision = _record(version, DecisionAction.REJECT, reviewer, reason=reason)
    _notify_on_commit(decision)
    return version


def _notify_on_commit(decision: ReviewDecision) -> None:
    from .tasks import notify_review_decision_task

    transaction.on_commit(lambda: notify_review_decision_task.delay(decision.pk))


@transaction.atomic
def copy_starter(*, merchant: Merchant, key: str, user: User | None, name: str = "") -> TemplateVersion:
    """Copy a starter-library template into the merchant's templates as a draft."""
    starter = STARTERS_BY_KEY.get(key)
    if starter is None:
        raise ValidationError(_("Unknown starter template."))
    base = name.strip() or starter["name"]
    candidate, n = base, 2
    while MessageTemplate.objects.filter(
        merchant=merchant, name=candidate, channel=starter["channel"], locale=starter["locale"]
    ).exists():
        candidate, n = f"{base} ({n})", n + 1
    return create_template(
        merchant=merchant,
        name=candidate,
        purpose=starter["purpose"],
        channel=starter["channel"],
        marketplace=starter["marketplace"],
        locale=starter["locale"],
        content=Content(subject=starter["subject"], body_text=starter["body_text"], body_html=starter["body_html"]),
        user=user,
    )


def render_for_send(*, version: TemplateVersion, context: dict) -> RenderedMessage:
    """Render an approved version with a campaign's values (links already tracked).

    Refuses anything not approved or whose text no longer matches the approved hash;
    an unknown or missing variable raises UnknownVariableError; output size and render
    time are bounded (RenderLimitError). `context` holds only the fixed variables:
    buyer {first_name, last_name, name}, order {number, items: [{title, sku, quantity}]},
    store {name, postal_address}, review_link, support_link, unsubscribe_link.
    Push versions render `subject` as the title, `body_text` as the text and `link` as the tap target
    (`RenderedMessage.link`); printed cards render `subject` as the headline and `body_text` as the text.
    """
    if version.status != VersionStatus.APPROVED:
        raise NotApprovedError(_("Only an approved template version can be sent."))
    if content_hash(version) != version.content_hash:
        raise NotApprovedError(_("The approved text was changed after approval; it cannot be sent."))
    channel = version.template.channel
    html = version.body_html if channel == Channel.EMAIL else ""
    return rendering.render_source(
        subject=version.subject,
        body_text=version.body_text,
        body_html=html,
        context=context,
        link=version.link if channel == Channel.PUSH else "",
    )


def render_preview(*, version_or_content, channel: str, locale: str, store_name: str = "") -> RenderedMessage:
    """Sample rendering for the editor and the review queue (never for sending)."""
    source = version_or_content
    return rendering.render_source(
        subject=source.subject,
        body_text=source.body_text,
        body_html=source.body_html if channel == Channel.EMAIL else "",
        context=rendering.sample_context(locale=locale, store_name=store_name),
        link=getattr(source, "link", "") if channel == Channel.PUSH else "",
    )
