"""The orders API (`/api/v1/`): stores, the bulk order upsert, orders with filters, bulk events.

The bulk endpoints answer 200 with one result per row (invalid rows never stop valid ones), 413 when a
request carries more than 1,000 rows or more than ORDERS_BULK_MAX_BYTES, 400 for malformed JSON, and 404
for another merchant's store.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from accounts.api import MerchantScopedGenericAPIView, MerchantScopedViewSet
from accounts.roles import Role

from . import api_schema, services
from .ingest import MAX_BATCH
from .models import Order, OrderEvent, Source, Store
from .parsing import FieldError, parse_datetime


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request too large."
    default_code = "payload_too_large"


def _bulk_rows(request, key: str) -> list:
    """The rows of a bulk request (`{"<key>": [...]}` or a bare list), refusing oversized ones with 413."""
    limit = settings.ORDERS_BULK_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(_("The body is larger than %(n)d bytes; send fewer rows per request.") % {"n": limit})
    data = request.data  # malformed JSON raises ParseError: 400
    rows = data.get(key) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ParseError(_('Expected a JSON object {"%(key)s": [...]}.') % {"key": key})
    if len(rows) > MAX_BATCH:
        raise PayloadTooLarge(
            _("%(count)d rows sent; at most %(n)d per request. Nothing was written.")
            % {"count": len(rows), "n": MAX_BATCH}
        )
    return rows


def _counts(results: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "platform", "marketplace", "default_currency", "default_language", "status"]


class StoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantScopedViewSet):
    queryset = Store.objects.all()
    serializer_class = StoreSerializer


class OrderBulkUpsertView(MerchantScopedGenericAPIView):
    """POST /api/v1/stores/{id}/orders/bulk — up to 1,000 orders with items and buyer, per-row report."""

    queryset = Store.objects.all()
    write_role = Role.OPERATOR
    serializer_class = api_schema.BulkOrdersInput

    @extend_schema(
        request=api_schema.BulkOrdersInput,
        responses={
            200: api_schema.BulkReport,
            400: api_schema.ErrorBody,
            404: api_schema.ErrorBody,
            413: api_schema.ErrorBody,
        },
    )
    def post(self, request, pk: int):
        store = get_object_or_404(self.get_queryset(), pk=pk)
        rows = _bulk_rows(request, "orders")
        results = [r.as_dict() for r in services.upsert_orders(store=store, rows=rows, source=Source.API)]
        return Response({"counts": _counts(results), "results": results})


class OrderEventBulkView(MerchantScopedGenericAPIView):
    """POST /api/v1/orders/events/bulk — events by (store, external_id) or tracking number."""

    queryset = Order.objects.all()
    write_role = Role.OPERATOR
    serializer_class = api_schema.BulkEventsInput

    @extend_schema(
        request=api_schema.BulkEventsInput,
        responses={200: api_schema.EventReport, 400: api_schema.ErrorBody, 413: api_schema.ErrorBody},
    )
    def post(self, request):
        rows = _bulk_rows(request, "events")
        results = services.record_order_events(merchant=self.merchant, rows=rows, source=Source.API)
        return Response({"counts": _counts(results), "results": results})


class BuyerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    email_is_relay = serializers.BooleanField()
    phone = serializers.CharField()
    country = serializers.CharField()
    language = serializers.CharField()
    time_zone = serializers.CharField()
    erased = serializers.BooleanField(source="is_erased")


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    product_id = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    category = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["id", "type", "source", "occurred_at", "received_at", "dedupe_key", "applied", "data"]


ORDER_FIELDS = [
    "id", "store", "external_id", "number", "placed_at", "currency", "total", "status", "fulfillment_channel",
    "ship_country", "ship_region", "carrier", "tracking_number", "shipped_at", "earliest_delivery_date",
    "latest_delivery_date", "delivered_at", "delivered_source", "delivery_confidence", "cancelled", "refunded",
    "returned", "claim_open", "buyer_reviewed", "source", "created_at", "updated_at",
]  # fmt: skip


class OrderSerializer(serializers.ModelSerializer):
    store = serializers.IntegerField(source="store_id")
    buyer = BuyerSummarySerializer(allow_null=True)
    items = ItemSerializer(many=True)

    class Meta:
        model = Order
        fields = [*ORDER_FIELDS, "buyer", "items"]


class OrderDetailSerializer(OrderSerializer):
    events = EventSerializer(many=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "events"]


class OrderCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantScopedViewSet):
    """GET /api/v1/orders/ (filters: store, status, delivered_after, delivered_before, updated_since)."""

    queryset = Order.objects.all()
    pagination_class = OrderCursorPagination

    def get_serializer_class(self):
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer

    def get_queryset(self):
        qs = super().get_queryset().select_related("buyer").prefetch_related("items")
        if self.action == "retrieve":
            return qs.prefetch_related("events")
        params = self.request.query_params
        errors = {}
        if params.get("store"):
            if not params["store"].isdigit():
                errors["store"] = [_("Expected a store id.")]
            else:
                qs = qs.filter(store_id=int(params["store"]))
        if params.get("status"):
            if params["status"] not in Order.Status.values:
                errors["status"] = [_("Unknown status.")]
            qs = qs.filter(status=params["status"])
        for name, lookup in (
            ("delivered_after", "delivered_at__gte"),
            ("delivered_before", "delivered_at__lt"),
            ("updated_since", "updated_at__gte"),
        ):
            if params.get(name):
                try:
                    qs = qs.filter(**{lookup: parse_datetime(params[name], dt.UTC)})
                except FieldError as exc:
                    errors[name] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        return qs
