"""Merchant pages of channels (accounts, test sends, suppressions, events, outbox) and the buyer's
unsubscribe page. Views parse input, call one service or selector, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows
from linkstar.identity import InvalidAddress

from . import selectors, services
from .addresses import mask
from .forms import ACCOUNT_FORMS, SuppressionFilterForm, SuppressionForm, TestSendForm
from .models import ChannelAccount, OutboxMessage, SuppressionEntry
from .senders import SENDERS, Outcome
from .unsubscribe import read_token
from .webhooks import HOOKS

PAGE_SIZE = 50
SECRET_FIELDS = sorted({f for form in ACCOUNT_FORMS.values() for f in form.CREDENTIAL_FIELDS})


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_errors_from(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def webhook_urls(account: ChannelAccount) -> list[tuple[str, str]]:
    """(hook, public URL) pairs the merchant configures at the provider for this account."""
    provider = "twilio" if account.kind.startswith("twilio") else account.kind
    urls = []
    for name, hook in HOOKS:
        if name == provider:
            path = reverse(f"channels:hook_{name}_{hook}", kwargs={"token": account.webhook_token})
            urls.append((hook, settings.PUBLIC_BASE_URL + path))
    return urls


@merchant_required()
def account_list(request):
    can_edit = role_allows(request.membership.role, Role.ADMIN)
    kinds = [(kind, cls.label, cls.description) for kind, cls in SENDERS.items()]
    return render(
        request,
        "channels/accounts.html",
        {"accounts": selectors.accounts_of(request.merchant), "kinds": kinds, "can_edit": can_edit},
    )


@merchant_required(Role.ADMIN)
@sensitive_post_parameters(*SECRET_FIELDS)
@sensitive_variables()
def account_create(request, kind: str):
    form_class = ACCOUNT_FORMS.get(kind)
    if form_class is None:
        raise Http404
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.create_account(merchant=request.merchant, kind=kind, **form.parts())
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("Channel account “%(name)s” added.") % {"name": account.name})
            return redirect("channels:account_detail", pk=account.pk)
    return render(
        request, "channels/account_form.html", {"form": form, "kind_label": SENDERS[kind].label, "account": None}
    )


@merchant_required()
def account_detail(request, pk: int):
    account = scoped_object_or_404(request, ChannelAccount, pk=pk)
    role = request.membership.role
    return render(
        request,
        "channels/account_detail.html",
        {
            "account": account,
            "sender": account.sender_class,
            "settings_rows": sorted((account.config or {}).items()),
            "stored_secrets": sorted(k for k, v in (account.credentials or {}).items() if v),
            "webhook_urls": webhook_urls(account) if role_allows(role, Role.ADMIN) else [],
            "test_form": TestSendForm(account=account),
            "events": selectors.events_of(request.merchant, account=account)[:10],
            "can_edit": role_allows(role, Role.ADMIN),
            "can_test": role_allows(role, Role.OPERATOR),
        },
    )


@merchant_required(Role.ADMIN)
@sensitive_post_parameters(*SECRET_FIELDS)
@sensitive_variables()
def account_edit(request, pk: int):
    account = scoped_object_or_404(request, ChannelAccount, pk=pk)
    form_class = ACCOUNT_FORMS[account.kind]
    form = form_class(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_account(account=account, **form.parts())
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("channels:account_detail", pk=account.pk)
    return render(
        request,
        "channels/account_form.html",
        {"form": form, "kind_label": account.sender_class.label, "account": account},
    )


@require_POST
@merchant_required(Role.OPERATOR)
def account_test_send(request, pk: int):
    account = scoped_object_or_404(request, ChannelAccount, pk=pk)
    form = TestSendForm(request.POST, account=account)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("channels:account_detail", pk=account.pk)
    result = services.test_send(
        account=account,
        to=form.cleaned_data["to"],
        channel=form.cleaned_data.get("channel"),
        push_target=form.push_target,
    )
    text = _("%(outcome)s. Provider's answer: %(detail)s") % {
        "outcome": Outcome(result.outcome).label,
        "detail": " ".join(filter(None, [result.provider_message_id, result.error_code, result.detail])) or "—",
    }
    (messages.success if result.accepted else messages.error)(request, text)
    return redirect("channels:account_detail", pk=account.pk)


@require_POST
@merchant_required(Role.ADMIN)
def account_status(request, pk: int):
    account = scoped_object_or_404(request, ChannelAccount, pk=pk)
    try:
        services.set_account_status(account=account, status=request.POST.get("status", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Status changed to %(status)s.") % {"status": account.get_status_display()})
    return redirect("channels:account_detail", pk=account.pk)


@require_POST
@merchant_required(Role.ADMIN)
def account_delete(request, pk: int):
    account = scoped_object_or_404(request, ChannelAccount, pk=pk)
    services.delete_account(account=account)
    messages.success(request, _("Channel account “%(name)s” deleted.") % {"name": account.name})
    return redirect("channels:accounts")


@merchant_required()
def suppression_list(request):
    form = SuppressionForm(request.POST or None)
    if request.method == "POST":
        if not role_allows(request.membership.role, Role.OPERATOR):
            messages.error(request, _("Your role cannot change the suppression list."))
            return redirect("channels:suppressions")
        if form.is_valid():
            try:
                services.suppress(
                    merchant=request.merchant,
                    channel=form.cleaned_data["channel"],
                    address=form.cleaned_data["address"],
                    reason=SuppressionEntry.Reason.MANUAL,
                    scope=form.cleaned_data["scope"],
                    source=_("Added by %(who)s") % {"who": request.user.email},
                )
            except InvalidAddress as exc:
                form.add_error("address", str(exc))
            else:
                messages.success(request, _("Added to the suppression list."))
                return redirect("channels:suppressions")
    filters = SuppressionFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.suppressions_of(
        request.merchant,
        channel=criteria.get("channel", ""),
        reason=criteria.get("reason", ""),
        search=criteria.get("q", ""),
    )
    return render(
        request,
        "channels/suppressions.html",
        {
            "form": form,
            "filters": filters,
            "page": _page(request, rows),
            "can_add": role_allows(request.membership.role, Role.OPERATOR),
            "can_remove": role_allows(request.membership.role, Role.ADMIN),
        },
    )


@require_POST
@merchant_required(Role.ADMIN)
def suppression_remove(request, pk: int):
    entry = scoped_object_or_404(request, SuppressionEntry, pk=pk)
    services.remove_suppression(entry=entry)
    messages.success(request, _("Removed from the suppression list."))
    return redirect("channels:suppressions")


@merchant_required()
def event_list(request):
    event_type = request.GET.get("type", "")
    rows = selectors.events_of(request.merchant, event_type=event_type)
    from .models import DeliveryEvent

    return render(
        request,
        "channels/events.html",
        {"page": _page(request, rows), "types": DeliveryEvent.Type.choices, "current_type": event_type},
    )


@merchant_required()
def outbox_list(request):
    return render(request, "channels/outbox.html", {"page": _page(request, selectors.outbox_of(request.merchant))})


@merchant_required()
def outbox_detail(request, pk: int):
    message = scoped_object_or_404(request, OutboxMessage, pk=pk)
    return render(request, "channels/outbox_detail.html", {"message": message})


@merchant_required()
def outbox_html(request, pk: int):
    """The HTML part, served in a sandbox (no scripts, no same origin) for the preview frame."""
    message = scoped_object_or_404(request, OutboxMessage, pk=pk)
    response = HttpResponse(message.html_body or "", content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a confirm page in the buyer's language and changes nothing; POST unsubscribes at once (200)."""
    claim = read_token(token)
    language = claim.language if claim else translation.get_language_from_request(request)
    with translation.override(language):
        if claim is None:
            return render(request, "channels/unsubscribe_invalid.html", status=404)
        from accounts.models import Merchant

        merchant = Merchant.objects.filter(pk=claim.merchant_id).first()
        if merchant is None:
            return render(request, "channels/unsubscribe_invalid.html", status=404)
        context = {"merchant": merchant, "claim": claim, "language": language}
        if request.method == "GET":
            sent = selectors.sent_message(message_ref=claim.message_ref)
            context["masked"] = mask(sent.recipient) if sent and sent.recipient else ""
            response = render(request, "channels/unsubscribe_confirm.html", context)
        else:
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            scope = request.POST.get("scope") or SuppressionEntry.Scope.ALL
            services.unsubscribe(token=token, scope=scope, one_click=one_click)
            context["scope"] = scope
            response = render(request, "channels/unsubscribe_done.html", context)
        response["Content-Language"] = language
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
