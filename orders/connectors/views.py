"""Merchant pages of the connectors: connect a platform, its health, credentials (never shown back), the
webhook address, a "test connection" button, "sync now" / backfill, and recent webhook events."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows

from . import selectors, services
from .forms import BackfillForm, CredentialsForm
from .models import Connection, WebhookEvent
from .registry import CONNECTORS


def _can(request, role: str) -> bool:
    return role_allows(request.membership.role, role)


def _errors_into(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@merchant_required()
def connection_list(request):
    """Connections with their health; admins connect a platform here (`?kind=`, then POST)."""
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    form = None
    if kind:
        if kind not in CONNECTORS:
            raise Http404
        if not _can(request, Role.ADMIN):
            raise PermissionDenied
        form = CredentialsForm(
            request.POST or None,
            kind=kind,
            merchant=request.merchant,
            initial={"label": str(CONNECTORS[kind].label)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                connection = services.connect(
                    merchant=request.merchant,
                    kind=kind,
                    label=form.cleaned_data["label"],
                    credentials=form.credentials(),
                    store=form.cleaned_data.get("store"),
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("Connected. Run the connection test to check the credentials."))
                return redirect("orders:connection", pk=connection.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "orders/connectors/list.html",
        {
            "connections": selectors.connections_of(request.merchant),
            "kinds": [(k, c.label) for k, c in CONNECTORS.items()],
            "form": form,
            "kind": kind,
            "kind_label": CONNECTORS[kind].label if kind else "",
            "can_edit": _can(request, Role.ADMIN),
        },
    )


@merchant_required()
def connection_detail(request, pk: int):
    connection = scoped_object_or_404(request, Connection.objects.select_related("store"), pk=pk)
    can_edit = _can(request, Role.ADMIN)
    form = None
    if can_edit:
        form = CredentialsForm(
            request.POST or None,
            kind=connection.kind,
            editing=True,
            stored=connection.credentials,
            initial={"label": connection.label},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.update_credentials(
                    connection=connection, values=form.credentials(), label=form.cleaned_data["label"]
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("orders:connection", pk=connection.pk)
    elif request.method == "POST":
        raise PermissionDenied
    connector = CONNECTORS[connection.kind]
    return render(
        request,
        "orders/connectors/detail.html",
        {
            "connection": connection,
            "connector": connector,
            "form": form,
            "webhook_url": selectors.webhook_url(connection),
            "events": selectors.recent_events(connection),
            "registrations": selectors.registration_counts(connection) if connection.is_tracker else None,
            "backfill_form": BackfillForm() if connector.can_poll and _can(request, Role.OPERATOR) else None,
            "can_edit": can_edit,
        },
    )


@require_POST
@merchant_required(Role.ADMIN)
def connection_test(request, pk: int):
    connection = scoped_object_or_404(request, Connection, pk=pk)
    ok, message = services.test_connection(connection=connection)
    if ok:
        messages.success(request, message)
    else:
        messages.error(request, _("The connection test failed: %(m)s") % {"m": message})
    return redirect("orders:connection", pk=connection.pk)


@require_POST
@merchant_required(Role.OPERATOR)
def connection_sync(request, pk: int):
    """'Sync now', or with `days` a backfill of the last N days (Shopify, WooCommerce, Amazon)."""
    connection = scoped_object_or_404(request, Connection, pk=pk)
    if not CONNECTORS[connection.kind].can_poll:
        raise Http404
    days = None
    if request.POST.get("days"):
        form = BackfillForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect("orders:connection", pk=connection.pk)
        days = form.cleaned_data["days"]
    services.start_poll(connection=connection, backfill_days=days)
    if days:
        messages.success(request, _("Importing the orders of the last %(n)d days in the background.") % {"n": days})
    else:
        messages.success(request, _("Sync started in the background."))
    return redirect("orders:connection", pk=connection.pk)


@require_POST
@merchant_required(Role.ADMIN)
def connection_toggle(request, pk: int):
    """Disconnect (no polls, webhooks answered 404) or reconnect; credentials and history are kept."""
    connection = scoped_object_or_404(request, Connection, pk=pk)
    services.set_enabled(connection=connection, enabled=not connection.enabled)
    if connection.enabled:
        messages.success(request, _("Reconnected. The next poll catches up on what changed meanwhile."))
    else:
        messages.success(request, _("Disconnected: no polls, and webhooks are refused until you reconnect."))
    return redirect("orders:connection", pk=connection.pk)


@merchant_required(Role.ADMIN)
def connection_event_export(request, pk: int, event_pk: int):
    """The answer to a buyer's data request (Shopify customers/data_request), as JSON."""
    connection = scoped_object_or_404(request, Connection, pk=pk)
    event = get_object_or_404(WebhookEvent, pk=event_pk, connection=connection, export__isnull=False)
    response = HttpResponse(
        json.dumps(event.export, ensure_ascii=False, indent=2, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="data-request-{event.pk}.json"'
    return response
