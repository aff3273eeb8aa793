"""The insights API (read only): report tables and a campaign's A/B and hold-out results."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api import MerchantScopedGenericAPIView
from reviews.models import Campaign

from . import selectors
from .forms import ReportFilterForm
from .selectors import DIMENSIONS, METRICS


class ReportRowOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    planned = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    review_clicks = serializers.IntegerField()
    unsubscribes = serializers.IntegerField()
    complaints = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=18, decimal_places=6)
    cost_per_review_click = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)


class ReportOutput(serializers.Serializer):
    dimension = serializers.CharField()
    rows = ReportRowOutput(many=True)
    total = ReportRowOutput()


def _row(row) -> dict:
    values = {k: row.value(k) for k, _label in METRICS}
    for money in ("cost", "cost_per_review_click"):  # exact decimals as strings, never floats
        values[money] = f"{values[money]:.6f}" if values[money] is not None else None
    return {"key": str(row.key), "label": row.label, **values}


class ReportView(MerchantScopedGenericAPIView):
    """GET /api/v1/insights/report?dimension=channel&campaign=&channel=&country=&date_from=&date_to=&period=

    One table of the report (the same numbers as the report page and its CSV), with the total.
    Without dates: the last 30 days; without `dimension`: per campaign.
    """

    queryset = Campaign.objects.all()
    serializer_class = ReportOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("dimension", str, enum=list(DIMENSIONS), required=False, default="campaign"),
            OpenApiParameter("campaign", int),
            OpenApiParameter("channel", str),
            OpenApiParameter("country", str),
            OpenApiParameter("date_from", str, description="YYYY-MM-DD"),
            OpenApiParameter("date_to", str, description="YYYY-MM-DD"),
            OpenApiParameter("period", str, enum=["day", "week", "month"]),
        ],
        responses={200: ReportOutput},
    )
    def get(self, request):
        merchant = self.merchant
        dimension = request.query_params.get("dimension", "campaign")
        if dimension not in DIMENSIONS:
            raise ValidationError({"detail": f"dimension must be one of: {', '.join(DIMENSIONS)}"})
        params = request.query_params.copy()
        params.pop("dimension", None)
        form = ReportFilterForm(params, merchant=merchant)
        if not form.is_valid():
            raise ValidationError(form.errors)
        flt = form.to_filter(default=selectors.recent_filter(30, merchant=merchant))
        rows = selectors.report(merchant, flt, dimension)
        return Response(
            {"dimension": dimension, "rows": [_row(r) for r in rows], "total": _row(selectors.totals(merchant, flt))}
        )


class IntervalOutput(serializers.Serializer):
    estimate = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class VariantOutput(serializers.Serializer):
    name = serializers.CharField()
    is_control = serializers.BooleanField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    review_clicks = serializers.IntegerField()
    rate = IntervalOutput()
    delivered_rate = IntervalOutput()
    p_value = serializers.FloatField(allow_null=True)
    significant = serializers.BooleanField(allow_null=True)


class HoldoutOutcomeOutput(serializers.Serializer):
    label = serializers.CharField()
    messaged = serializers.IntegerField()
    held = serializers.IntegerField()
    messaged_per_1000 = serializers.FloatField()
    held_per_1000 = serializers.FloatField()
    lift_per_1000 = IntervalOutput()


class HoldoutOutput(serializers.Serializer):
    messaged_orders = serializers.IntegerField()
    held_out_orders = serializers.IntegerField()
    outcomes = HoldoutOutcomeOutput(many=True)


class ResultsOutput(serializers.Serializer):
    campaign = serializers.IntegerField()
    variants = VariantOutput(many=True)
    holdout = HoldoutOutput(allow_null=True)


def _interval(i) -> dict:
    return {"estimate": i.estimate, "low": i.low, "high": i.high}


class CampaignResultsView(MerchantScopedGenericAPIView):
    """GET /api/v1/insights/campaigns/{id}/results — A/B (Wilson intervals, z-test against the control)
    and hold-out (per 1,000 orders, Newcombe interval of the difference)."""

    queryset = Campaign.objects.all()
    serializer_class = ResultsOutput

    @extend_schema(responses={200: ResultsOutput})
    def get(self, request, pk: int):
        campaign = get_object_or_404(self.get_queryset(), pk=pk)
        holdout = selectors.holdout_results(campaign)
        return Response(
            {
                "campaign": campaign.pk,
                "variants": [
                    {
                        "name": v.name,
                        "is_control": v.is_control,
                        "sent": v.sent,
                        "delivered": v.delivered,
                        "review_clicks": v.review_clicks,
                        "rate": _interval(v.rate),
                        "delivered_rate": _interval(v.delivered_rate),
                        "p_value": v.test.p_value if v.test else None,
                        "significant": v.test.significant if v.test else None,
                    }
                    for v in selectors.ab_results(campaign)
                ],
                "holdout": {
                    "messaged_orders": holdout.messaged_orders,
                    "held_out_orders": holdout.held_out_orders,
                    "outcomes": [
                        {
                            "label": o.label,
                            "messaged": o.messaged,
                            "held": o.held,
                            "messaged_per_1000": o.messaged_per_1000,
                            "held_per_1000": o.held_per_1000,
                            "lift_per_1000": _interval(o.lift),
                        }
                        for o in holdout.outcomes
                    ],
                }
                if holdout
                else None,
            }
        )
