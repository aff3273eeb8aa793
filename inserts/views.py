"""Merchant pages (card sheets, card settings) and the buyers' side (a scanned card, the neutral page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows

from . import selectors, services
from .forms import CardSettingsForm, OrdersCardsForm, StoreCardsForm
from .models import CardBatch
from .texts import LANDING_TEXTS


def _errors(exc: ValidationError) -> str:
    return " ".join(
        m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]) for m in ms
    )


@merchant_required()
def cards(request):
    can_print = role_allows(request.membership.role, Role.OPERATOR)
    orders_form = OrdersCardsForm(prefix="o")
    store_form = StoreCardsForm(prefix="s", merchant=request.merchant)
    if request.method == "POST":
        if not can_print:
            messages.error(request, _("Your role cannot print cards."))
            return redirect("inserts:cards")
        action = request.POST.get("action")
        try:
            if action == "orders":
                orders_form = OrdersCardsForm(request.POST, prefix="o")
                if not orders_form.is_valid():
                    raise ValidationError(_("Name at least one order."))
                batch = services.create_card_batch(
                    merchant=request.merchant,
                    user=request.user,
                    order_refs=orders_form.refs(),
                    language=orders_form.cleaned_data["language"],
                )
            else:
                store_form = StoreCardsForm(request.POST, prefix="s", merchant=request.merchant)
                if not store_form.is_valid():
                    raise ValidationError(" ".join(e for errs in store_form.errors.values() for e in errs))
                batch = services.create_card_batch(
                    merchant=request.merchant,
                    user=request.user,
                    store=store_form.cleaned_data["store"],
                    copies=store_form.cleaned_data["copies"],
                    language=store_form.cleaned_data["language"],
                )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("%(n)d cards are ready to download.") % {"n": batch.card_count})
            return redirect("inserts:cards")
    return render(
        request,
        "inserts/cards.html",
        {
            "orders_form": orders_form,
            "store_form": store_form,
            "batches": selectors.batches_of(request.merchant)[:30],
            "counts": selectors.scan_counts(merchant=request.merchant),
            "can_print": can_print,
            "can_edit": role_allows(request.membership.role, Role.ADMIN),
        },
    )


@merchant_required()
def batch_pdf(request, pk: int):
    batch = scoped_object_or_404(request, CardBatch, pk=pk)
    response = HttpResponse(services.render_batch_pdf(batch=batch), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="insert-cards-{batch.pk}.pdf"'
    return response


@merchant_required(Role.ADMIN)
def card_settings(request):
    current = services.settings_of(request.merchant)
    form = CardSettingsForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "postal_address": current.postal_address,
            "help_url": current.help_url,
            "review_url": current.review_url,
        },
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("logo")
        try:
            services.save_card_settings(
                merchant=request.merchant,
                postal_address=form.cleaned_data["postal_address"],
                help_url=form.cleaned_data["help_url"],
                review_url=form.cleaned_data["review_url"],
                logo=upload.read() if upload else None,
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect("inserts:cards")
    return render(request, "inserts/settings.html", {"form": form, "has_logo": bool(current.logo)})


@require_GET
def scan(request, token: str):
    """A buyer scanned a card: count it, then send them on (no login, no cookie, nothing personal kept)."""
    found = services.record_scan(token=token, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if found is None:
        return render(request, "inserts/invalid.html", status=404)
    response = redirect(found[1])
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def landing(request, token: str):
    """The neutral card page: the same two links for every buyer (help, review), in the card's language."""
    card = services.card_from_token(token)
    if card is None:
        raise Http404
    card_settings = services.settings_of(card.merchant)
    language = card.language
    with translation.override(language.lower()):
        response = render(
            request,
            "inserts/landing.html",
            {
                "texts": LANDING_TEXTS[language],
                "store_name": card.order.store.name if card.order else card.merchant.name,
                "help_url": card_settings.help_url,
                "review_url": card_settings.review_url,
                "postal_address": card_settings.postal_address,
                "language": language,
            },
        )
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
