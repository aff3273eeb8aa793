"""Merchant pages of campaigns: list, editor, overview with pause / resume / stop, dry run, send log,
one message with its attempts. The buyers' pages are in views_buyers, the inbox and audit in views_recovery."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows

from . import broadcasts, selectors, services
from .dispatch import global_stop
from .forms import (
    BroadcastForm,
    CampaignForm,
    PlanStepFormSet,
    SendLogFilterForm,
    VariantFormSet,
    plan_steps_from,
    variants_from,
)
from .models import Campaign, CampaignStatus

PAGE_SIZE = 50
ACTIONS = {
    "activate": CampaignStatus.ACTIVE,
    "resume": CampaignStatus.ACTIVE,
    "pause": CampaignStatus.PAUSED,
    "stop": CampaignStatus.STOPPED,
}


def _can_edit(request) -> bool:
    return role_allows(request.membership.role, Role.OPERATOR)


@merchant_required()
def campaign_list(request):
    campaigns = list(selectors.campaigns_of(request.merchant))
    rows = [{"campaign": c, "counts": selectors.campaign_counts(c)} for c in campaigns]
    return render(
        request,
        "reviews/list.html",
        {
            "rows": rows,
            "can_edit": _can_edit(request),
            "stop": global_stop(),
            "unknown": selectors.unknown_count(request.merchant),
        },
    )


def _initial_steps(campaign: Campaign | None) -> list[dict]:
    if campaign is None:
        return []
    return [
        {
            "country": s.country,
            "position": s.position + 1,
            "channel": s.channel,
            "account": s.account_id,
            "template_name": s.template_name,
        }
        for s in campaign.plan_steps.order_by("country", "position")
    ]


def _editor(request, campaign: Campaign | None):
    merchant = request.merchant
    data = request.POST if request.method == "POST" else None
    form = CampaignForm(data, instance=campaign, merchant=merchant)
    plan = PlanStepFormSet(data, prefix="plan", initial=_initial_steps(campaign), form_kwargs={"merchant": merchant})
    variants = VariantFormSet(
        data,
        prefix="variants",
        initial=list(campaign.variants.values("name", "weight", "template_name")) if campaign else [],
    )
    if request.method == "POST" and form.is_valid() and plan.is_valid() and variants.is_valid():
        kwargs = {
            "data": form.campaign_data(),
            "steps": plan_steps_from(plan),
            "variants": variants_from(variants),
            "stores": list(form.cleaned_data.get("stores") or []),
            "fallback_stores": list(form.cleaned_data.get("fallback_stores") or []),
        }
        try:
            if campaign is None:
                campaign = services.create_campaign(merchant=merchant, user=request.user, **kwargs)
            else:
                campaign = services.update_campaign(campaign=campaign, **kwargs)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("reviews:detail", pk=campaign.pk)
    return render(
        request, "reviews/form.html", {"form": form, "plan": plan, "variants": variants, "campaign": campaign}
    )


@merchant_required(Role.OPERATOR)
def campaign_create(request):
    return _editor(request, None)


@merchant_required(Role.OPERATOR)
def campaign_edit(request, pk: int):
    campaign = scoped_object_or_404(request, Campaign, pk=pk)
    return _editor(request, campaign)


@merchant_required()
def campaign_detail(request, pk: int):
    campaign = scoped_object_or_404(request, Campaign.objects.prefetch_related("stores", "fallback_stores"), pk=pk)
    return render(
        request,
        "reviews/detail.html",
        {
            "campaign": campaign,
            "counts": selectors.campaign_counts(campaign),
            "steps": campaign.plan_steps.select_related("account").order_by("country", "position"),
            "variants": campaign.variants.all(),
            "recent": selectors.send_log(request.merchant, campaign=campaign)[:20],
            "can_edit": _can_edit(request),
            "stop": global_stop(),
        },
    )


@require_POST
@merchant_required(Role.OPERATOR)
def campaign_status(request, pk: int):
    campaign = scoped_object_or_404(request, Campaign, pk=pk)
    target = ACTIONS.get(request.POST.get("action", ""))
    if target is None:
        messages.error(request, _("Unknown action."))
        return redirect("reviews:detail", pk=campaign.pk)
    try:
        services.set_campaign_status(campaign=campaign, status=target, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Campaign is now %(status)s.") % {"status": CampaignStatus(target).label})
    return redirect("reviews:detail", pk=campaign.pk)


@merchant_required()
def campaign_dry_run(request, pk: int):
    campaign = scoped_object_or_404(request, Campaign, pk=pk)
    if campaign.is_broadcast and campaign.segment_id:
        segment = campaign.segment
        criteria = broadcasts.Criteria(
            stores=list(segment.stores.all()), countries=segment.countries, last_order_from=segment.last_order_from,
            last_order_to=segment.last_order_to, skus=segment.skus, min_orders=segment.min_orders,
        )  # fmt: skip
        steps = [
            {"country": s.country, "position": s.position, "channel": s.channel, "account": s.account,
             "template_name": s.template_name}
            for s in campaign.plan_steps.select_related("account")
        ]  # fmt: skip
        preview = broadcasts.preview_broadcast(
            merchant=request.merchant, criteria=criteria, steps=steps, send_on=campaign.send_on,
            send_time=campaign.send_time, cap_messages=campaign.cap_messages, cap_days=campaign.cap_days,
        )  # fmt: skip
        return render(request, "reviews/broadcast_preview.html", {"campaign": campaign, "preview": preview})
    days = 7
    with contextlib.suppress(TypeError, ValueError):
        days = max(1, min(30, int(request.GET.get("days", 7))))
    return render(
        request, "reviews/dry_run.html", {"campaign": campaign, "run": selectors.dry_run(campaign, days=days)}
    )


@merchant_required()
def broadcast_list(request):
    return render(
        request,
        "reviews/broadcasts.html",
        {"rows": selectors.broadcasts_of(request.merchant), "can_edit": _can_edit(request)},
    )


@merchant_required(Role.OPERATOR)
def broadcast_create(request):
    """The segment form: "Preview" counts the buyers per reason and shows a sample; "Schedule" saves it."""
    merchant = request.merchant
    form = BroadcastForm(request.POST or None, merchant=merchant)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            criteria = broadcasts.segment_criteria(
                merchant=merchant, stores=data.get("stores") or [], countries=data.get("countries") or [],
                last_order_from=data.get("last_order_from"), last_order_to=data.get("last_order_to"),
                skus=data.get("skus") or [], min_orders=data.get("min_orders") or 1,
            )  # fmt: skip
            if request.POST.get("action") == "schedule":
                campaign = broadcasts.schedule_broadcast(
                    merchant=merchant, user=request.user, name=data["name"], criteria=criteria, steps=form.steps(),
                    send_on=data.get("send_on"), send_time=data.get("send_time"),
                    data={"support_url": data.get("support_url") or "", "cap_messages": data["cap_messages"],
                          "cap_days": data["cap_days"]},
                )  # fmt: skip
                messages.success(request, _("Broadcast scheduled."))
                return redirect("reviews:detail", pk=campaign.pk)
            preview = broadcasts.preview_broadcast(
                merchant=merchant, criteria=criteria, steps=form.steps(), send_on=data.get("send_on"),
                send_time=data.get("send_time"), cap_messages=data["cap_messages"], cap_days=data["cap_days"],
            )  # fmt: skip
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
    return render(request, "reviews/broadcast_form.html", {"form": form, "preview": preview})


@merchant_required()
def send_log(request):
    form = SendLogFilterForm(request.GET or None, merchant=request.merchant)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.send_log(
        request.merchant,
        campaign=filters.get("campaign"),
        status=filters.get("status", ""),
        code=filters.get("code", ""),
        channel=filters.get("channel", ""),
        country=filters.get("country", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reviews/log.html", {"form": form, "page": page, "query": query.urlencode()})


@merchant_required()
def message_detail(request, pk: int):
    message = selectors.message_of(request.merchant, pk)
    if message is None:
        raise Http404
    return render(request, "reviews/message.html", {"message": message, "attempts": message.attempts.all()})
