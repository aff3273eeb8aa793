"""Merchant pages of the buyers' side: the service-recovery inbox, the gating audit with its statement, and
reviews received (CSV upload)."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows
from orders.imports import UnreadableFile, read_table

from . import selectors, services
from .audit import gating_audit
from .forms import (
    AuditPeriodForm,
    ReviewUploadForm,
    TicketFilterForm,
    TicketNoteForm,
    TicketReplyForm,
    TicketStatusForm,
)
from .models import ReviewSource, ServiceRecoveryTicket
from .received import rows_from_table
from .recovery import reply_account

PAGE_SIZE = 50


def _can_edit(request) -> bool:
    return role_allows(request.membership.role, Role.OPERATOR)


@merchant_required()
def ticket_list(request):
    form = TicketFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.tickets_of(
        request.merchant,
        status=filters.get("status", ""),
        reason=filters.get("reason", ""),
        source=filters.get("source", ""),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/tickets.html",
        {"form": form, "page": page, "query": query.urlencode(), "counts": selectors.ticket_counts(request.merchant)},
    )


@require_http_methods(["GET", "POST"])
@merchant_required()
def ticket_detail(request, pk: int):
    ticket = selectors.ticket_of(request.merchant, pk)
    if ticket is None:
        raise Http404
    status_form = TicketStatusForm(initial={"status": ticket.status})
    note_form = TicketNoteForm()
    reply_form = TicketReplyForm(
        initial={"subject": _("About your order %(number)s") % {"number": ticket.order.display_number}}
    )
    if request.method == "POST":
        if not _can_edit(request):
            messages.error(request, _("Your role cannot change tickets."))
            return redirect("reviews:ticket", pk=ticket.pk)
        action = request.POST.get("action", "")
        forms = {"status": TicketStatusForm, "note": TicketNoteForm, "reply": TicketReplyForm}
        if action not in forms:
            messages.error(request, _("Unknown action."))
            return redirect("reviews:ticket", pk=ticket.pk)
        form = forms[action](request.POST)
        if form.is_valid():
            try:
                if action == "status":
                    services.set_ticket_status(ticket=ticket, status=form.cleaned_data["status"], user=request.user)
                    done = _("Status changed.")
                elif action == "note":
                    services.add_ticket_note(ticket=ticket, text=form.cleaned_data["text"], user=request.user)
                    done = _("Note added.")
                else:
                    services.reply_to_buyer(
                        ticket=ticket,
                        subject=form.cleaned_data["subject"],
                        text=form.cleaned_data["text"],
                        user=request.user,
                    )
                    done = _("Your reply was sent to the buyer.")
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, done)
                return redirect("reviews:ticket", pk=ticket.pk)
        if action == "status":
            status_form = form
        elif action == "note":
            note_form = form
        else:
            reply_form = form
    return render(
        request,
        "reviews/ticket.html",
        {
            "ticket": ticket,
            "timeline": selectors.ticket_timeline(ticket),
            "status_form": status_form,
            "note_form": note_form,
            "reply_form": reply_form,
            "reply_account": reply_account(request.merchant),
            "can_edit": _can_edit(request),
        },
        status=400 if request.method == "POST" else 200,
    )


@merchant_required()
def ticket_photo(request, pk: int):
    """The buyer's photo, to the ticket's merchant only (media files are not served publicly)."""
    ticket = scoped_object_or_404(request, ServiceRecoveryTicket, pk=pk)
    if not ticket.photo:
        raise Http404
    try:
        handle = ticket.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=_photo_type(ticket.photo.name))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _photo_type(name: str) -> str:
    return {"png": "image/png", "webp": "image/webp"}.get(name.rsplit(".", 1)[-1].lower(), "image/jpeg")


# --- gating audit ----------------------------------------------------------------------------------------


def _audit(request):
    form = AuditPeriodForm(request.GET or None, merchant=request.merchant)
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    date_to = data.get("date_to") or today
    date_from = data.get("date_from") or date_to - dt.timedelta(days=89)
    audit = gating_audit(request.merchant, date_from=date_from, date_to=date_to, campaign=data.get("campaign"))
    return form, audit


@merchant_required()
def gating_audit_page(request):
    form, audit = _audit(request)
    if request.GET.get("export") == "csv":
        return _audit_csv(request, audit)
    query = request.GET.copy()
    query.pop("export", None)
    return render(request, "reviews/gating_audit.html", {"form": form, "audit": audit, "query": query.urlencode()})


def _audit_csv(request, audit) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"gating-audit-{audit.date_from:%Y%m%d}-{audit.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese campaign names) only with a BOM
    writer = csv.writer(response)
    writer.writerow(["campaign", "satisfaction_answer", "orders", "invited", "waiting", "not_invited", "rate"])
    rows = [("", g) for g in audit.groups] + [(c["name"], g) for c in audit.campaigns for g in c["groups"]]
    for campaign_name, g in rows:
        rate = "" if g.rate is None else f"{g.rate:.4f}"
        writer.writerow([campaign_name or "ALL", g.key, g.orders, g.invited, g.waiting, g.not_invited, rate])
    return response


@merchant_required()
def gating_statement(request):
    """The printable statement for a marketplace or a regulator: the policy and the period's figures."""
    _form, audit = _audit(request)
    return render(
        request,
        "reviews/gating_statement.html",
        {"audit": audit, "merchant": request.merchant, "generated_at": timezone.now()},
    )


# --- reviews received -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@merchant_required()
def received_reviews(request):
    form = ReviewUploadForm()
    report = None
    if request.method == "POST":
        if not _can_edit(request):
            messages.error(request, _("Your role cannot import reviews."))
            return redirect("reviews:received")
        form = ReviewUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                table = read_table(upload.read(), upload.name)
            except UnreadableFile as exc:
                form.add_error("file", str(exc))
            else:
                rows, errors = rows_from_table(table)
                if errors:
                    form.add_error("file", errors[0]["message"])
                else:
                    report = services.import_reviews(merchant=request.merchant, rows=rows, source=ReviewSource.CSV)
    page = Paginator(selectors.received_reviews_of(request.merchant), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/received.html",
        {"form": form, "report": report, "page": page, "can_edit": _can_edit(request)},
        status=400 if request.method == "POST" and (report is None) else 200,
    )
