"""Merchant pages of insights: reports (merchant-wide and per campaign) with charts and CSV exports, A/B and
hold-out results, circuit breaker trips, notices."""

from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mixins import merchant_required, scoped_object_or_404
from billing.money import display
from billing.selectors import wallet_of
from reviews.models import Campaign

from . import charts, selectors, services
from .forms import ReportFilterForm
from .models import Notice
from .notices import render as render_notice
from .selectors import DIMENSIONS, METRICS, ReportFilter

TABLES = [*DIMENSIONS, "failures"]
PAGE_SIZE = 50


def _money(value) -> str:
    return display(value) if value is not None else "—"


def report_charts(merchant, flt: ReportFilter, *, by_period, total, by_country, by_channel=(), scans=None) -> list:
    series_rows = selectors.fill_days(by_period, flt)
    labels = [r.label for r in series_rows]
    currency = wallet_of(merchant).currency
    out = [
        charts.line_chart(
            _("Sends and outcomes over time"),
            labels,
            [
                charts.Series(_("Sent"), [r.sent for r in series_rows]),
                charts.Series(_("Delivered"), [r.delivered for r in series_rows]),
                charts.Series(_("Review-link clicks"), [r.review_clicks for r in series_rows]),
                charts.Series(_("Failed"), [r.failed for r in series_rows]),
            ],
        ),
        charts.bar_chart(_("Funnel"), [(label, n, f"{n:,}") for label, n in selectors.funnel(total)]),
        charts.bar_chart(
            _("Costs by country (%(currency)s)") % {"currency": currency},
            [(r.label, r.cost, _money(r.cost)) for r in sorted(by_country, key=lambda r: -r.cost)[:12]],
            colour=charts.PALETTE[2],
        ),
    ]
    if by_channel or scans:
        # the report pages (not the dashboard panel): every channel beside the others, and the insert cards
        rows = [(r.label, r.sent, f"{r.sent:,}") for r in by_channel]
        if scans:
            rows.append((str(_("Insert cards: scans")), scans["scans"], f"{scans['scans']:,}"))
        out.append(charts.bar_chart(_("Sent by channel"), rows, colour=charts.PALETTE[1]))
    return out


def _report_context(request, flt: ReportFilter, *, campaign: Campaign | None = None) -> dict:
    merchant = request.merchant
    cells = selectors.cube(merchant, flt)  # the one query behind every table and chart of the page
    tables = {d: selectors.rollup(cells, d) for d in DIMENSIONS if not (campaign and d == "campaign")}
    total = selectors.total_of(cells)
    query = flt.query()
    if campaign is None and flt.campaign is not None:
        query["campaign"] = flt.campaign.pk
    # Insert cards are no campaign's messages: their scans only on the merchant-wide report.
    scans = selectors.insert_card_scans(merchant, flt) if campaign is None and flt.campaign is None else None
    return {
        "insert_scans": scans,
        "filter": flt,
        "query": query,
        "total": total,
        "tables": [(d, DIMENSIONS[d], tables[d]) for d in tables],
        "failures": selectors.failures_by_code(merchant, flt),
        "metrics": METRICS,
        "charts": report_charts(
            merchant,
            flt,
            by_period=tables["period"],
            total=total,
            by_country=tables["country"],
            by_channel=tables["channel"],
            scans=scans,
        ),
        "currency": wallet_of(merchant).currency,
    }


@merchant_required()
def reports(request):
    form = ReportFilterForm(request.GET or None, merchant=request.merchant)
    default = selectors.recent_filter(30, merchant=request.merchant)
    if request.GET and not form.is_valid():
        return render(request, "insights/reports.html", {"form": form}, status=400)
    flt = form.to_filter(default=default) if request.GET else default
    context = _report_context(request, flt)
    return render(request, "insights/reports.html", {"form": form, **context})


@merchant_required()
def campaign_report(request, pk: int):
    campaign = scoped_object_or_404(request, Campaign, pk=pk)
    form = ReportFilterForm(request.GET or None, merchant=request.merchant, with_campaign=False)
    if request.GET and not form.is_valid():
        return render(request, "insights/campaign_report.html", {"form": form, "campaign": campaign}, status=400)
    flt = form.to_filter(campaign=campaign) if request.GET else ReportFilter(campaign=campaign)
    context = _report_context(request, flt, campaign=campaign)
    ab = selectors.ab_results(campaign)
    return render(
        request,
        "insights/campaign_report.html",
        {
            "form": form,
            "campaign": campaign,
            "ab": ab,
            "ab_chart": charts.bar_chart(
                _("Review-link click rate by variant (per sent message)"),
                [(v.name, v.rate.estimate * 100, f"{v.rate.estimate * 100:.2f} %") for v in ab],
                colour=charts.PALETTE[1],
            )
            if ab
            else None,
            "holdout": selectors.holdout_results(campaign),
            "trips": [t for t in selectors.trips_of(request.merchant)[:200] if campaign.pk in t.campaign_ids][:10],
            **context,
        },
    )


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_response(flt: ReportFilter, merchant, table: str, filename: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{table}.csv"'
    response.write("\ufeff")  # a BOM, so spreadsheet apps read Chinese campaign names as UTF-8
    writer = csv.writer(response)
    if table == "failures":
        writer.writerow([_("Code"), _("Reason"), _("Failed")])
        for row in selectors.failures_by_code(merchant, flt):
            writer.writerow([_csv_safe(row.code), _csv_safe(row.label), row.count])
        return response
    writer.writerow([str(DIMENSIONS[table]), *[str(label) for _key, label in METRICS]])
    for row in selectors.report(merchant, flt, table):
        cpc = row.cost_per_review_click
        writer.writerow(
            [
                _csv_safe(row.label),
                *[row.value(k) for k, _l in METRICS if k not in ("cost", "cost_per_review_click")],
                f"{row.cost:.6f}",
                f"{cpc:.6f}" if isinstance(cpc, Decimal) else "",
            ]
        )
    return response


@merchant_required()
def export_csv(request, table: str):
    form = ReportFilterForm(request.GET or None, merchant=request.merchant)
    if request.GET and not form.is_valid():
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    default = selectors.recent_filter(30, merchant=request.merchant)
    flt = form.to_filter(default=default) if request.GET else default
    return _csv_response(flt, request.merchant, table, "linkstar-report")


@merchant_required()
def campaign_export_csv(request, pk: int, table: str):
    campaign = scoped_object_or_404(request, Campaign, pk=pk)
    form = ReportFilterForm(request.GET or None, merchant=request.merchant, with_campaign=False)
    if request.GET and not form.is_valid():
        return HttpResponse(
            "; ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    flt = form.to_filter(campaign=campaign) if request.GET else ReportFilter(campaign=campaign)
    return _csv_response(flt, request.merchant, table, f"linkstar-campaign-{campaign.pk}")


@merchant_required()
def breakers(request):
    page = Paginator(selectors.trips_of(request.merchant), PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(
        Campaign.objects.for_merchant(request.merchant)
        .filter(pk__in={pk for trip in page for pk in trip.campaign_ids})
        .values_list("pk", "name")
    )
    rows = [{"trip": t, "campaigns": [(pk, names.get(pk, f"#{pk}")) for pk in t.campaign_ids]} for t in page]
    return render(request, "insights/breakers.html", {"page": page, "rows": rows})


@merchant_required()
def notices(request):
    page = Paginator(selectors.notices_of(request.merchant), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"notice": n, "text": render_notice(n)} for n in page]
    return render(request, "insights/notices.html", {"page": page, "rows": rows})


@require_POST
@merchant_required()
def notice_read(request, pk: int):
    notice = scoped_object_or_404(request, Notice, pk=pk)
    services.mark_read(merchant=request.merchant, notice_id=notice.pk)
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("insights:notices")


@require_POST
@merchant_required()
def notices_read_all(request):
    n = services.mark_read(merchant=request.merchant)
    messages.success(request, _("%(n)s notices marked read.") % {"n": n})
    return redirect("insights:notices")
