"""Merchant billing pages: overview (balance, caps, usage chart), caps, ledger, statements, quote."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows

from . import selectors, services
from .charts import bar_chart
from .countries import country_name
from .forms import BudgetCapForm, QuoteForm
from .models import Channel, LedgerEntry, MessageClass, Statement
from .money import display
from .periods import month_of, parse_month
from .quotes import volumes_from_mix


def _channel_label(code: str) -> str:
    return Channel(code).label if code in Channel.values else code


def _month_from(request):
    raw = request.GET.get("month", "")
    if not raw:
        return month_of()
    try:
        return parse_month(raw)
    except ValueError:
        messages.error(request, _("“%(value)s” is not a month; showing this month.") % {"value": raw})
        return month_of()


@merchant_required()
def overview(request):
    merchant = request.merchant
    month = _month_from(request)
    summary = selectors.usage_summary(merchant, month)
    charts = []
    if summary.rows:
        charts = [
            bar_chart(
                _("Spend by channel"),
                [(_channel_label(ch), amount, _("%(n)s messages") % {"n": n}) for ch, n, amount in summary.by_channel],
            ),
            bar_chart(
                _("Spend by destination country"),
                [(country_name(c), amount, _("%(n)s messages") % {"n": n}) for c, n, amount in summary.by_country[:12]],
            ),
        ]
    months = selectors.usage_months(merchant)
    if month_of() not in months:
        months.insert(0, month_of())
    context = {
        "wallet": selectors.wallet_of(merchant),
        "subscription": selectors.current_subscription(merchant),
        "cap": selectors.budget_cap_of(merchant),
        "cap_states": selectors.cap_states(merchant),
        "alerts": selectors.active_cap_alerts(merchant),
        "allowed_countries": sorted(selectors.allowed_countries(merchant)),
        "summary": summary,
        "rows": [
            {
                "channel": _channel_label(r.channel),
                "country": country_name(r.country) if r.country else "—",
                "message_class": MessageClass(r.message_class).label,
                "messages": r.messages,
                "units": r.units,
                "included_units": r.included_units,
                "amount": r.amount,
            }
            for r in summary.rows
        ],
        "charts": charts,
        "month": month,
        "months": months,
        "top_ups": selectors.top_ups_of(merchant)[:10],
        "statements": selectors.statements_of(merchant)[:6],
        "can_edit_caps": role_allows(request.membership.role, Role.OWNER),
    }
    return render(request, "billing/overview.html", context)


@merchant_required(Role.OWNER)
def caps(request):
    merchant = request.merchant
    cap = selectors.budget_cap_of(merchant)
    channel_caps = selectors.channel_caps_of(merchant)
    form = BudgetCapForm(request.POST or None, initial=BudgetCapForm.initial_from(cap, channel_caps))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_budget_caps(
                merchant=merchant,
                monthly_limit=data["monthly_limit"],
                daily_limit=data["daily_limit"],
                channel_limits=form.channel_limits(),
                allowed_countries=data["allowed_countries"],
                countries_follow_stores=data["countries_follow_stores"],
                updated_by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Budget caps saved."))
            return redirect("billing:overview")
    return render(request, "billing/caps.html", {"form": form, "cap_states": selectors.cap_states(merchant)})


@merchant_required()
def ledger(request):
    kind = request.GET.get("kind", "")
    kinds = [kind] if kind in LedgerEntry.Kind.values else None
    page = Paginator(selectors.ledger_of(request.merchant, kinds=kinds), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/ledger.html",
        {
            "page": page,
            "kind": kind if kinds else "",
            "kinds": LedgerEntry.Kind.choices,
            "wallet": selectors.wallet_of(request.merchant),
        },
    )


@merchant_required()
def statements(request):
    return render(request, "billing/statements.html", {"statements": selectors.statements_of(request.merchant)})


def _statement_lines(statement: Statement) -> list[dict]:
    return [
        {
            "kind": line.get_kind_display(),
            "kind_code": line.kind,
            "description": line.description,
            "channel": _channel_label(line.channel) if line.channel else "",
            "country": country_name(line.country) if line.country else "",
            "country_code": line.country,
            "message_class": MessageClass(line.message_class).label if line.message_class else "",
            "messages": line.messages,
            "units": line.units,
            "included_units": line.included_units,
            "amount": line.amount,
        }
        for line in statement.lines.all()
    ]


@merchant_required()
def statement(request, pk: int):
    obj = scoped_object_or_404(request, Statement, pk=pk)
    return render(request, "billing/statement.html", {"statement": obj, "lines": _statement_lines(obj)})


@merchant_required()
def statement_csv(request, pk: int):
    obj = scoped_object_or_404(request, Statement, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="linkstar-statement-{obj.month:%Y-%m}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese plan names) correctly with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [
            "month",
            "kind",
            "description",
            "channel",
            "country",
            "class",
            "messages",
            "units",
            "included_units",
            "amount",
            "currency",
        ]
    )
    month = f"{obj.month:%Y-%m}"
    for line in obj.lines.all():
        writer.writerow(
            [
                month,
                line.kind,
                _csv_safe(line.description),
                line.channel,
                line.country,
                line.message_class,
                line.messages,
                line.units,
                line.included_units,
                line.amount,
                obj.currency,
            ]
        )
    for label, value in (
        ("opening_balance", obj.opening_balance),
        ("plan_fee", obj.plan_fee),
        ("usage", obj.usage_amount),
        ("adjustments", obj.adjustments),
        ("total_charges", obj.total),
        ("top_ups", obj.top_ups),
        ("refunds", obj.refunds),
        ("closing_balance", obj.closing_balance),
    ):
        writer.writerow([month, "summary", label, "", "", "", "", "", "", value, obj.currency])
    return response


def _csv_safe(text: str) -> str:
    """Keep spreadsheet apps from running a description as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@merchant_required()
def quote(request):
    form = QuoteForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        volumes = volumes_from_mix(
            monthly_orders=data["monthly_orders"],
            messages_per_order=data["messages_per_order"],
            channel_shares=form.channel_shares(),
            country_shares=data["countries"],
            sms_segments=data["sms_segments"],
            message_class=data["message_class"],
        )
        result = services.estimate_cost(merchant=request.merchant, volumes=volumes, plan=data["plan"])
    lines = []
    if result is not None:
        lines = [
            {
                "channel": _channel_label(line.channel),
                "country": country_name(line.country),
                "messages": line.messages,
                "units": line.units,
                "included_units": line.included_units,
                "unit_price": display(line.unit_price) if line.priced else "",
                "amount": line.amount,
                "priced": line.priced,
            }
            for line in result.lines
        ]
    return render(request, "billing/quote.html", {"form": form, "quote": result, "lines": lines})
