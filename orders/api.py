"""The orders API (`/api/v1/`): stores, the bulk order upsert, orders with filters, bulk events.

The bulk endpoints answer 200 with one result per row (invalid rows never stop valid ones), 413 when a
request carries more than 1,000 rows or more than ORDERS_BULK_MAX_BYTES, 400 for malformed JSON, and 404
for another merchant's store.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
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
from .models import Buyer, Order, OrderEvent, PushSubscription, Source, Store
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


# --- buyers' push subscriptions ---------------------------------------------------------------------------


class PushSubscriptionSerializer(serializers.ModelSerializer):
    token_preview = serializers.SerializerMethodField()
    endpoint_host = serializers.SerializerMethodField()

    class Meta:
        model = PushSubscription
        fields = [
            "id", "buyer", "kind", "platform", "app_id", "status", "gone_reason", "gone_at", "token_preview",
            "endpoint_host", "created_at", "updated_at",
        ]  # fmt: skip

    def get_token_preview(self, obj) -> str:
        return f"{obj.token[:12]}…" if obj.token else ""

    def get_endpoint_host(self, obj) -> str:
        from urllib.parse import urlsplit

        return urlsplit(obj.endpoint).hostname or "" if obj.endpoint else ""


class PushSubscriptionKeys(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class BrowserSubscription(serializers.Serializer):
    """What `PushSubscription.toJSON()` gives a site (expirationTime is ignored)."""

    endpoint = serializers.CharField(max_length=2000)
    keys = PushSubscriptionKeys()
    expirationTime = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815  (the browser's name)


class PushSubscriptionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PushSubscription.Kind.choices)
    token = serializers.CharField(required=False, allow_blank=True, max_length=4096, help_text="FCM: the device token")
    subscription = BrowserSubscription(required=False, help_text="web_push: the browser's subscription.toJSON()")
    platform = serializers.CharField(required=False, allow_blank=True, max_length=20)
    app_id = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BuyerPushSubscriptionsView(MerchantScopedGenericAPIView):
    """GET / POST /api/v1/buyers/{id}/push-subscriptions — the merchant's app or site registers a buyer's
    device token (FCM) or browser subscription (Web Push). 201 when new, 200 when the device was known."""

    queryset = Buyer.objects.all()
    write_role = Role.OPERATOR
    serializer_class = PushSubscriptionSerializer

    def _buyer(self, pk: int) -> Buyer:
        return get_object_or_404(self.get_queryset(), pk=pk)

    @extend_schema(responses={200: PushSubscriptionSerializer(many=True), 404: api_schema.ErrorBody})
    def get(self, request, pk: int):
        buyer = self._buyer(pk)
        from . import selectors

        return Response(PushSubscriptionSerializer(selectors.push_subscriptions_of(buyer), many=True).data)

    @extend_schema(
        request=PushSubscriptionInput,
        responses={
            200: PushSubscriptionSerializer,
            201: PushSubscriptionSerializer,
            400: api_schema.ErrorBody,
            404: api_schema.ErrorBody,
        },
    )
    def post(self, request, pk: int):
        buyer = self._buyer(pk)
        data = PushSubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        browser = values.get("subscription") or {}
        try:
            subscription, created = services.register_push_subscription(
                buyer=buyer,
                kind=values["kind"],
                token=values.get("token", ""),
                endpoint=browser.get("endpoint", ""),
                p256dh=(browser.get("keys") or {}).get("p256dh", ""),
                auth=(browser.get("keys") or {}).get("auth", ""),
                platform=values.get("platform", ""),
                app_id=values.get("app_id", ""),
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            ) from None
        return Response(
            PushSubscriptionSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BuyerPushSubscriptionDetailView(MerchantScopedGenericAPIView):
    """GET / DELETE /api/v1/buyers/{id}/push-subscriptions/{subscription id} — the app unsubscribed."""

    queryset = PushSubscription.objects.all()
    write_role = Role.OPERATOR
    serializer_class = PushSubscriptionSerializer

    def _subscription(self, pk: int, sub_pk: int) -> PushSubscription:
        return get_object_or_404(self.get_queryset(), pk=sub_pk, buyer_id=pk)

    @extend_schema(responses={200: PushSubscriptionSerializer, 404: api_schema.ErrorBody})
    def get(self, request, pk: int, sub_pk: int):
        return Response(PushSubscriptionSerializer(self._subscription(pk, sub_pk)).data)

    @extend_schema(responses={204: None, 404: api_schema.ErrorBody})
    def delete(self, request, pk: int, sub_pk: int):
        services.remove_push_subscription(subscription=self._subscription(pk, sub_pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
