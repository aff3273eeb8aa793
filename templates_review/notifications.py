"""Tells a merchant's owners and admins that a reviewer approved or rejected one of their templates."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import members_of

from .models import DecisionAction, ReviewDecision


def send_review_decision_email(*, decision_id: int) -> int:
    """One email per owner/admin, each in their own language; returns how many were sent."""
    decision = ReviewDecision.objects.select_related("version__template__merchant").filter(pk=decision_id).first()
    if decision is None or decision.action == DecisionAction.SUBMIT:
        return 0
    version = decision.version
    template = version.template
    merchant = template.merchant
    url = settings.PUBLIC_BASE_URL + reverse("templates_review:edit", kwargs={"pk": template.pk})
    sent = 0
    for membership in members_of(merchant):
        if membership.role not in (Role.OWNER, Role.ADMIN) or not membership.user.is_active:
            continue
        user = membership.user
        with translation.override(user.language or merchant.default_language):
            approved = decision.action == DecisionAction.APPROVE
            subject = (_("Template approved: %(name)s") if approved else _("Template rejected: %(name)s")) % {
                "name": template.name
            }
            body = render_to_string(
                "templates_review/email/decision.txt",
                {"decision": decision, "version": version, "template": template, "approved": approved, "url": url},
            )
            send_mail(subject, body, None, [user.email])
            sent += 1
    return sent
