"""Buyers' pages, reached without a login through signed links (see reviews.links): the review link, the
open pixel, and the help page with its problem form and the optional satisfaction question.

Every buyer sees the same neutral "leave a review" link; the help form and the satisfaction answer open
tickets for the merchant and change nothing about invitations.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import links, selectors, services
from .forms import HelpForm, SatisfactionForm
from .models import SatisfactionAnswer, TicketSource

# A transparent 1x1 GIF.
PIXEL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501
PAGE_LANGUAGES = ("zh-hans", "en")


def _private(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def invalid_link(request):
    """Expired, forged, or naming something that no longer exists: the same clear 404 for all."""
    return _private(render(request, "reviews/link_invalid.html", status=404))


def buyer_language(order) -> str:
    """The order's buyer's language for our pages: Simplified Chinese or English (others read English)."""
    raw = ((order.buyer.language if order.buyer else "") or order.store.default_language or "en").lower()
    return "zh-hans" if raw.startswith("zh") else "en"


@require_GET
def review_link(request, token: str):
    """The buyer's review link: remember the click, go to the review page for the order's platform."""
    ref = links.message_ref_from(token)
    message = services.record_review_click(message_ref=ref) if ref else None
    if message is None:
        return invalid_link(request)
    target = links.review_target(order=message.order, campaign=message.campaign)
    if target:
        return _private(HttpResponseRedirect(target))
    with translation.override(buyer_language(message.order)):
        return _private(render(request, "reviews/review_thanks.html", {"store": message.order.store}))


@require_GET
def open_pixel(request, token: str):
    """The email open pixel: always a GIF (mail clients show broken images otherwise); a valid token's
    first load is recorded."""
    ref = links.message_ref_from(token, salt=links.OPEN_PIXEL_SALT)
    if ref:
        services.record_open(message_ref=ref)
    return _private(HttpResponse(PIXEL, content_type="image/gif"))


def _help_context(token: str):
    target = links.help_target_from(token)
    if target is None:
        return None
    order, message = selectors.help_page_of(order_id=target.order_id, message_ref=target.message_ref)
    if order is None:
        return None
    return target, order, message


def _review_href(token: str, message) -> str:
    return links.review_url(message.ref) if message is not None else reverse("reviews:help_review", args=[token])


@require_http_methods(["GET", "POST"])
def help_page(request, token: str):
    """ "Problem with your order?": the form opens a ticket; the review link is offered to every buyer alike."""
    found = _help_context(token)
    if found is None:
        return invalid_link(request)
    target, order, message = found
    language = buyer_language(order)
    with translation.override(language):
        form = HelpForm(request.POST or None, request.FILES or None)
        done = None
        if request.method == "POST" and form.is_valid():
            try:
                ticket, created = services.open_ticket(
                    order=order,
                    message=message,
                    reason=form.cleaned_data["reason"],
                    text=form.cleaned_data["text"],
                    photo=form.cleaned_data.get("photo"),
                    source=TicketSource.INSERT_CARD if target.from_card else TicketSource.HELP_PAGE,
                    language=language,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                done = {"created": created, "ticket": ticket}
        ask = message is not None and message.campaign.satisfaction_check
        answer = SatisfactionAnswer.objects.filter(order_id=order.pk).first() if ask else None
        response = render(
            request,
            "reviews/help.html",
            {
                "form": form,
                "done": done,
                "store": order.store,
                "order": order,
                "token": token,
                "review_href": _review_href(token, message),
                "ask_satisfaction": ask,
                "satisfaction_form": SatisfactionForm(),
                "answer": answer,
                "answered": request.GET.get("answered") == "1",
                "language": language,
            },
            status=400 if request.method == "POST" and done is None else 200,
        )
        response["Content-Language"] = language
    return _private(response)


@require_POST
def satisfaction(request, token: str):
    """The one satisfaction question; the answer is stored (unhappy opens a ticket) and nothing else."""
    found = _help_context(token)
    if found is None:
        return invalid_link(request)
    _target, order, message = found
    if message is None or not message.campaign.satisfaction_check:
        return invalid_link(request)
    form = SatisfactionForm(request.POST)
    if form.is_valid():
        services.answer_satisfaction(order=order, message=message, answer=form.cleaned_data["answer"])
        return redirect(reverse("reviews:help", args=[token]) + "?answered=1")
    with translation.override(buyer_language(order)):
        return _private(HttpResponse(_("Choose an answer."), status=400, content_type="text/plain; charset=utf-8"))


@require_GET
def help_review(request, token: str):
    """The help page's review link when no message led there (an insert card): the order's review page."""
    found = _help_context(token)
    if found is None:
        return invalid_link(request)
    _target, order, message = found
    if message is not None:
        return redirect(links.review_url(message.ref))
    target = links.review_target(order=order)
    if target:
        return _private(HttpResponseRedirect(target))
    with translation.override(buyer_language(order)):
        return _private(render(request, "reviews/review_thanks.html", {"store": order.store}))
