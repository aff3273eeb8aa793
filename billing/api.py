"""Billing API: GET /api/v1/billing/balance and /api/v1/billing/usage (read-only)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts.api import MerchantScopedGenericAPIView
from accounts.roles import Role

from . import selectors
from .models import Channel, UsageRecord
from .periods import month_of, parse_month

MONEY = {"max_digits": 18, "decimal_places": 6, "coerce_to_string": True}


class BalanceView(MerchantScopedGenericAPIView):
    """The prepaid balance, what is reserved for messages in flight, the plan and the caps of today / this month."""

    read_role = Role.VIEWER
    http_method_names = ["get", "head", "options"]

    class Output(serializers.Serializer):
        currency = serializers.CharField()
        balance = serializers.DecimalField(**MONEY)
        reserved = serializers.DecimalField(**MONEY)
        available = serializers.DecimalField(**MONEY)
        credit_limit = serializers.DecimalField(**MONEY)

    class Response(Output):
        """The documented body: the wallet plus plan, month-to-date spend, caps and the last top-up."""

        plan = inline_serializer(
            "BalancePlan",
            {"code": serializers.CharField(), "name": serializers.CharField(), "monthly_fee": serializers.CharField()},
            allow_null=True,
        )
        month_to_date = serializers.CharField()
        caps = inline_serializer(
            "BalanceCap",
            {
                "period": serializers.CharField(),
                "channel": serializers.CharField(allow_blank=True, allow_null=True),
                "limit": serializers.CharField(),
                "spent_and_reserved": serializers.CharField(),
                "percent": serializers.IntegerField(),
                "reached": serializers.BooleanField(),
            },
            many=True,
        )
        last_top_up = inline_serializer(
            "BalanceTopUp",
            {
                "amount": serializers.CharField(),
                "reference": serializers.CharField(allow_blank=True),
                "note": serializers.CharField(allow_blank=True),
                "at": serializers.DateTimeField(),
            },
            allow_null=True,
        )

    serializer_class = Response

    @extend_schema(responses={200: Response})
    def get(self, request):
        merchant = self.merchant
        wallet = selectors.wallet_of(merchant)
        plan = selectors.plan_of(merchant)
        last_top_up = selectors.top_ups_of(merchant).first()
        data = dict(self.Output(wallet).data)
        data["plan"] = (
            {"code": plan.code, "name": plan.name, "monthly_fee": str(plan.monthly_fee)} if plan is not None else None
        )
        data["month_to_date"] = str(selectors.usage_summary(merchant, month_of()).amount)
        data["caps"] = [
            {
                "period": state.scope,
                "channel": state.channel,
                "limit": str(state.limit),
                "spent_and_reserved": str(state.spent),
                "percent": state.percent,
                "reached": state.reached,
            }
            for state in selectors.cap_states(merchant)
        ]
        data["last_top_up"] = (
            {
                "amount": str(last_top_up.amount),
                "reference": last_top_up.reference,
                "note": last_top_up.reason,
                "at": last_top_up.created_at.isoformat(),
            }
            if last_top_up is not None
            else None
        )
        return Response(data)


class UsagePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class UsageView(MerchantScopedGenericAPIView):
    """Usage of one statement month (`?month=YYYY-MM`, default this month): totals and the per-message records.

    Optional filters: `channel`, `country` (ISO code).
    """

    read_role = Role.VIEWER
    queryset = UsageRecord.objects.all()
    pagination_class = UsagePagination
    http_method_names = ["get", "head", "options"]

    @extend_schema_serializer(component_name="UsageRecord")
    class Output(serializers.ModelSerializer):
        price_book_version = serializers.IntegerField(source="price_book.version")
        unit_price = serializers.DecimalField(**MONEY)
        amount = serializers.DecimalField(**MONEY)

        class Meta:
            model = UsageRecord
            fields = [
                "message_ref",
                "channel",
                "country",
                "message_class",
                "quantity",
                "included_units",
                "unit_price",
                "amount",
                "currency",
                "price_book_version",
                "period",
                "created_at",
            ]

    serializer_class = Output

    def _params(self):
        raw_month = self.request.query_params.get("month", "")
        try:
            month = parse_month(raw_month) if raw_month else month_of(timezone.now())
        except ValueError:
            raise ValidationError({"detail": "month must look like 2026-10."}) from None
        channel = self.request.query_params.get("channel", "")
        if channel and channel not in Channel.values:
            raise ValidationError({"detail": f"channel must be one of {', '.join(Channel.values)}."})
        country = self.request.query_params.get("country", "").upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise ValidationError({"detail": "country must be an ISO 3166 alpha-2 code."})
        return month, channel, country

    @extend_schema(
        responses={
            200: inline_serializer(
                "UsagePage",
                {
                    "month": serializers.CharField(),
                    "currency": serializers.CharField(),
                    "totals": inline_serializer(
                        "UsageTotals",
                        {
                            "messages": serializers.IntegerField(),
                            "units": serializers.IntegerField(),
                            "amount": serializers.CharField(),
                        },
                    ),
                    "by_channel_country_class": inline_serializer(
                        "UsageRow",
                        {
                            "channel": serializers.CharField(),
                            "country": serializers.CharField(),
                            "message_class": serializers.CharField(),
                            "messages": serializers.IntegerField(),
                            "units": serializers.IntegerField(),
                            "included_units": serializers.IntegerField(),
                            "amount": serializers.CharField(),
                        },
                        many=True,
                    ),
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": Output(many=True),
                },
            )
        },
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: this month)"),
            OpenApiParameter("channel", OpenApiTypes.STR, enum=list(Channel.values)),
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166 alpha-2"),
        ],
    )
    def get(self, request):
        merchant = self.merchant
        month, channel, country = self._params()
        summary = selectors.usage_summary(merchant, month)
        records = selectors.usage_records(merchant, month=month, channel=channel, country=country)
        page = self.paginate_queryset(records)
        response = self.get_paginated_response(self.Output(page, many=True).data)
        response.data = {
            "month": f"{month:%Y-%m}",
            "currency": summary.currency,
            "totals": {"messages": summary.messages, "units": summary.units, "amount": str(summary.amount)},
            "by_channel_country_class": [
                {
                    "channel": row.channel,
                    "country": row.country,
                    "message_class": row.message_class,
                    "messages": row.messages,
                    "units": row.units,
                    "included_units": row.included_units,
                    "amount": str(row.amount),
                }
                for row in summary.rows
            ],
            **response.data,
        }
        return response
