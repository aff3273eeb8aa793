"""Merchant pages of orders: orders and their timeline, stores, buyers (export / erase), CSV / XLSX import."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows

from . import imports, selectors, services
from .forms import ImportMappingForm, ImportUploadForm, MarkDeliveredForm, OrderFilterForm, StoreForm
from .models import Buyer, ImportJob, Order, Store
from .sections import sections_for

PAGE_SIZE = 50


def _form_errors_from(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _can(request, role: str) -> bool:
    return role_allows(request.membership.role, role)


# --- orders -----------------------------------------------------------------------------------------------


@merchant_required()
def order_list(request):
    form = OrderFilterForm(request.GET or None, merchant=request.merchant)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.search_orders(
        request.merchant,
        q=filters.get("q", ""),
        store=filters.get("store"),
        status=filters.get("status", ""),
        delivered=filters.get("delivered", ""),
        country=filters.get("country", ""),
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "orders/list.html", {"form": form, "page": page, "query": query.urlencode()})


@merchant_required()
def order_detail(request, pk: int):
    order = selectors.order_detail(request.merchant, pk)
    if order is None:
        raise Http404
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "events": list(order.events.all()),
            "deliver_form": MarkDeliveredForm() if _can(request, Role.OPERATOR) else None,
            "sections": sections_for(request, order),
        },
    )


@require_POST
@merchant_required(Role.OPERATOR)
def order_mark_delivered(request, pk: int):
    order = scoped_object_or_404(request, Order, pk=pk)
    form = MarkDeliveredForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("orders:detail", pk=order.pk)
    outcome = services.mark_delivered_by_hand(order=order, user=request.user, at=form.cleaned_data["delivered_at"])
    if not outcome.created:
        messages.info(request, _("This order was already marked as delivered by hand."))
    elif outcome.applied:
        messages.success(request, _("Marked as delivered."))
    else:
        messages.info(request, _("Recorded. The order keeps its earlier delivery time from a more reliable source."))
    return redirect("orders:detail", pk=order.pk)


# --- stores -----------------------------------------------------------------------------------------------


@merchant_required()
def store_list(request):
    """The merchant's stores; admins add one here (POST)."""
    can_edit = _can(request, Role.ADMIN)
    form = StoreForm() if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = StoreForm(request.POST)
        if form.is_valid():
            try:
                store = services.create_store(merchant=request.merchant, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                messages.success(request, _("Store %(name)s added.") % {"name": store.name})
                return redirect("orders:stores")
    return render(request, "orders/stores.html", {"stores": selectors.stores_of(request.merchant), "form": form})


@merchant_required(Role.ADMIN)
def store_edit(request, pk: int):
    store = scoped_object_or_404(request, Store, pk=pk)
    form = StoreForm(request.POST or None, instance=store)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_store(store=store, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("Store saved."))
            return redirect("orders:stores")
    return render(request, "orders/store_form.html", {"form": form, "store": store})


# --- buyers -----------------------------------------------------------------------------------------------


@merchant_required()
def buyer_detail(request, pk: int):
    buyer = selectors.buyer_of(request.merchant, pk)
    if buyer is None:
        raise Http404
    return render(
        request,
        "orders/buyer.html",
        {
            "buyer": buyer,
            "orders": buyer.orders.select_related("store").order_by("-placed_at", "-pk")[:100],
            "consents": selectors.consents_of(buyer),
            "push_subscriptions": selectors.push_subscriptions_of(buyer),
            "can_manage": _can(request, Role.ADMIN),
        },
    )


@merchant_required(Role.ADMIN)
def buyer_export(request, pk: int):
    buyer = scoped_object_or_404(request, Buyer, pk=pk)
    data = services.export_buyer(buyer)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="buyer-{buyer.pk}-export.json"'
    return response


@require_POST
@merchant_required(Role.ADMIN)
def buyer_erase(request, pk: int):
    buyer = scoped_object_or_404(request, Buyer, pk=pk)
    services.erase_buyer(buyer, reason=f"requested by {request.user.email}")
    messages.success(request, _("The buyer's personal data was erased."))
    return redirect("orders:buyer", pk=buyer.pk)


# --- imports ----------------------------------------------------------------------------------------------


@merchant_required(Role.OPERATOR)
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None, merchant=request.merchant)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.create_import(
                store=form.cleaned_data["store"], filename=upload.name, content=upload.read(), user=request.user
            )
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            return redirect("orders:import_detail", pk=job.pk)
    jobs = selectors.import_jobs_of(request.merchant)[:20]
    return render(
        request,
        "orders/import_upload.html",
        {
            "form": form,
            "jobs": jobs,
            "recognised": [(label, imports.GUESSES.get(t, [])) for t, label in imports.TARGETS.items()],
        },
    )


@merchant_required(Role.OPERATOR)
def import_detail(request, pk: int):
    job = scoped_object_or_404(request, ImportJob.objects.select_related("store", "merchant"), pk=pk)
    form = None
    preview = []
    if job.status == ImportJob.Status.UPLOADED:
        form = ImportMappingForm(request.POST or None, headers=job.headers, initial_mapping=job.mapping)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_import_mapping(job=job, mapping=form.mapping())
            except ValidationError as exc:
                _form_errors_from(exc, form)
            else:
                if request.POST.get("action") == "start":
                    services.start_import(job=job)
                    return redirect("orders:import_detail", pk=job.pk)
                form = ImportMappingForm(headers=job.headers, initial_mapping=job.mapping)
        preview = selectors.preview_import(job)
    elif request.method == "POST":
        messages.info(request, _("This import has already started."))
        return redirect("orders:import_detail", pk=job.pk)
    return render(
        request,
        "orders/import_detail.html",
        {"job": job, "form": form, "preview": preview, "error_sample": job.errors[:50]},
    )


@merchant_required(Role.OPERATOR)
def import_progress(request, pk: int):
    job = scoped_object_or_404(request, ImportJob.objects.defer("content", "errors"), pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "percent": job.percent,
            "processed_rows": job.processed_rows,
            "total_rows": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
            "finished": job.is_finished,
        }
    )


def _cell(value: str) -> str:
    """Keep spreadsheet programs from reading a cell as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


@merchant_required(Role.OPERATOR)
def import_errors(request, pk: int):
    job = scoped_object_or_404(request, ImportJob.objects.defer("content"), pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors-{stamp}.csv"'
    response.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow([_("Row"), _("Column"), _("Message")])
    for error in job.errors:
        writer.writerow([error.get("row", ""), _cell(error.get("column", "")), _cell(error.get("message", ""))])
    return response
