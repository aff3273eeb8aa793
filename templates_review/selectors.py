"""Reads for pages, the API, admin and other apps (campaigns)."""

from __future__ import annotations

import difflib
from datetime import timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Merchant

from .models import DecisionAction, MessageTemplate, ReviewDecision, TemplateVersion, VersionStatus


def templates_of(merchant: Merchant) -> QuerySet[MessageTemplate]:
    versions = TemplateVersion.objects.order_by("-number").only(
        "id", "template_id", "number", "status", "rejection_reason", "decided_at", "submitted_at"
    )
    return (
        MessageTemplate.objects.for_merchant(merchant)
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("name", "locale", "channel")
    )


def template_status(template: MessageTemplate) -> dict:
    """The live (approved) version and the one being worked on, from prefetched versions."""
    versions = list(template.versions.all())
    approved = next((v for v in versions if v.status == VersionStatus.APPROVED), None)
    latest = versions[0] if versions else None
    return {"approved": approved, "latest": latest}


def approved_version_for(
    *,
    merchant: Merchant,
    purpose: str,
    channel: str,
    locale: str,
    fallback_locale: str | None = None,
    name: str | None = None,
) -> TemplateVersion | None:
    """The approved version a campaign should send: the buyer's locale, else the fallback, else None.

    Locales match exactly, then by language (a buyer in "de-AT" gets "de"). When a merchant
    has several approved templates for the same purpose, channel and locale, the most
    recently approved one wins; `name` picks one template family (the same name in each language).
    """
    base = (
        TemplateVersion.objects.for_merchant(merchant)
        .filter(status=VersionStatus.APPROVED, template__purpose=purpose, template__channel=channel)
        .select_related("template")
        .order_by("-decided_at", "-id")
    )
    if name:
        base = base.filter(template__name=name)
    for wanted in (locale, fallback_locale):
        if not wanted:
            continue
        exact = base.filter(template__locale__iexact=wanted).first()
        if exact is not None:
            return exact
        language = wanted.split("-")[0]
        by_language = base.filter(template__locale__istartswith=language).first()
        if by_language is not None and by_language.template.locale.split("-")[0].lower() == language.lower():
            return by_language
    return None


def versions_of(template: MessageTemplate) -> QuerySet[TemplateVersion]:
    return (
        TemplateVersion.objects.filter(template_id=template.pk)
        .select_related("created_by", "submitted_by", "decided_by")
        .order_by("-number")
    )


def last_approved_before(version: TemplateVersion) -> TemplateVersion | None:
    """The version a reviewer compares against: the live one, or the last that was approved."""
    return (
        TemplateVersion.objects.filter(
            template_id=version.template_id, status__in=[VersionStatus.APPROVED, VersionStatus.SUPERSEDED]
        )
        .exclude(pk=version.pk)
        .order_by("-decided_at", "-number")
        .first()
    )


def diff_lines(old: TemplateVersion | None, new: TemplateVersion) -> list[tuple[str, str]]:
    """A unified diff of subject and bodies as (kind, line) pairs: kind is '+', '-', '@' or ' '."""
    if old is None:
        return []

    def lines(v: TemplateVersion) -> list[str]:
        out = [f"Subject: {v.subject}"] if v.subject or old.subject else []
        out += (v.body_text or "").splitlines()
        if v.body_html or old.body_html:
            out += ["", "--- HTML ---", *(v.body_html or "").splitlines()]
        return out

    result = []
    for line in difflib.unified_diff(lines(old), lines(new), f"v{old.number}", f"v{new.number}", lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = line[:1] if line[:1] in "+-@" else " "
        result.append((kind, line[1:] if kind != "@" else line))
    return result


def recent_decisions(merchant: Merchant, *, days: int = 30, limit: int = 5) -> list[ReviewDecision]:
    since = timezone.now() - timedelta(days=days)
    return list(
        ReviewDecision.objects.for_merchant(merchant)
        .filter(action__in=[DecisionAction.APPROVE, DecisionAction.REJECT], created_at__gte=since)
        .select_related("version__template")
        .order_by("-created_at", "-id")[:limit]
    )


def status_counts(merchant: Merchant) -> dict[str, int]:
    counts = {s: 0 for s in VersionStatus.values}
    for status in TemplateVersion.objects.for_merchant(merchant).values_list("status", flat=True):
        counts[status] += 1
    return counts
