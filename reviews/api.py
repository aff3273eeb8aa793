"""The campaigns API: campaigns (CRUD, status) and the outbox (messages, read only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, pagination, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api import MerchantScopedViewSet
from channels.models import ChannelAccount
from orders.models import Store

from . import services
from .models import Campaign, CampaignStatus, Channel, Message, MessageStatus, ReceivedReview, ReviewSource
from .services import CAMPAIGN_FIELDS


class Page(pagination.PageNumberPagination):
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
        "example": "09:00:00",
        "description": "A wall-clock time in the buyer's own time zone (no offset).",
    }
)
class LocalTimeField(serializers.TimeField):
    """A time of day without offset: OpenAPI's `format: time` would demand one (RFC 3339 full-time)."""


class PlanStepSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, default="*")
    position = serializers.IntegerField(min_value=0, max_value=20)
    channel = serializers.ChoiceField(choices=Channel.choices)
    account = serializers.IntegerField()
    template_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="PlanStepOutput")
class PlanStepOutputSerializer(PlanStepSerializer):
    """What is stored: the editor and admin may number steps past the API's input bound."""

    position = serializers.IntegerField(min_value=0)


class VariantSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    weight = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    template_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(getattr(exc, "message_dict", None) or {"detail": exc.messages})


class CampaignViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, MerchantScopedViewSet
):
    """Campaigns with their channel plan and variants. New campaigns are drafts; `POST …/status` moves them."""

    @extend_schema_serializer(component_name="Campaign")
    class Output(serializers.ModelSerializer):
        window_start = LocalTimeField()
        window_end = LocalTimeField()
        send_time = LocalTimeField(allow_null=True, required=False)
        plan = serializers.SerializerMethodField()
        variants = serializers.SerializerMethodField()
        stores = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

        class Meta:
            model = Campaign
            fields = ["id", "status", "stores", *CAMPAIGN_FIELDS, "plan", "variants", "created_at", "updated_at"]

        @extend_schema_field(PlanStepOutputSerializer(many=True))
        def get_plan(self, obj):
            return [
                {"country": s.country, "position": s.position, "channel": s.channel, "account": s.account_id,
                 "template_name": s.template_name}
                for s in obj.plan_steps.all()
            ]  # fmt: skip

        @extend_schema_field(VariantSerializer(many=True))
        def get_variants(self, obj):
            return [{"name": v.name, "weight": v.weight, "template_name": v.template_name} for v in obj.variants.all()]

    @extend_schema_serializer(component_name="CampaignInput")
    class Input(serializers.ModelSerializer):
        window_start = LocalTimeField(required=False)
        send_time = LocalTimeField(required=False, allow_null=True)
        window_end = LocalTimeField(required=False)
        plan = PlanStepSerializer(many=True, required=False)
        variants = VariantSerializer(many=True, required=False)
        stores = serializers.ListField(child=serializers.IntegerField(), required=False)

        class Meta:
            model = Campaign
            fields = [*CAMPAIGN_FIELDS, "plan", "variants", "stores"]

    @extend_schema_serializer(component_name="CampaignStatusInput")
    class StatusInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=CampaignStatus.choices)

    queryset = Campaign.objects.prefetch_related("plan_steps", "variants", "stores").order_by("name", "id")
    serializer_class = Output
    pagination_class = Page

    def _resolve(self, data: dict) -> dict:
        merchant = self.merchant
        out = {"data": {k: v for k, v in data.items() if k in CAMPAIGN_FIELDS}}
        if "plan" in data:
            accounts = {a.pk: a for a in ChannelAccount.objects.for_merchant(merchant)}
            steps = []
            for step in data["plan"]:
                account = accounts.get(step["account"])
                if account is None:
                    raise ValidationError({"plan": [f"unknown channel account {step['account']}"]})
                steps.append({**step, "account": account})
            out["steps"] = steps
        if "variants" in data:
            out["variants"] = data["variants"]
        if "stores" in data:
            stores = list(Store.objects.for_merchant(merchant).filter(pk__in=data["stores"]))
            if len(stores) != len(set(data["stores"])):
                raise ValidationError({"stores": ["unknown store"]})
            out["stores"] = stores
        return out

    @extend_schema(request=Input, responses={201: Output})
    def create(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            campaign = services.create_campaign(merchant=self.merchant, user=None, **self._resolve(data.validated_data))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(self.Output(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=Input, responses={200: Output})
    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        data = self.Input(campaign, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            campaign = services.update_campaign(campaign=campaign, **self._resolve(data.validated_data))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(self.Output(campaign).data)

    def perform_destroy(self, instance):
        if instance.status != CampaignStatus.DRAFT:
            raise ValidationError({"detail": "Only a draft campaign can be deleted; stop it instead."})
        instance.delete()

    @extend_schema(request=StatusInput, responses={200: Output})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        campaign = self.get_object()
        data = self.StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            campaign = services.set_campaign_status(campaign=campaign, status=data.validated_data["status"])
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(self.Output(campaign).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.INT, description="a campaign id"),
            OpenApiParameter("order", OpenApiTypes.INT, description="an order id"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(MessageStatus.values)),
            OpenApiParameter("code", OpenApiTypes.STR, description="a reason code"),
            OpenApiParameter("channel", OpenApiTypes.STR, enum=list(Channel.values)),
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166 alpha-2"),
        ]
    )
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantScopedViewSet):
    """The outbox: filters `campaign`, `order`, `status`, `code`, `channel`, `country`."""

    @extend_schema_serializer(component_name="Message")
    class Output(serializers.ModelSerializer):
        reason_label = serializers.CharField(source="get_reason_code_display", read_only=True)

        class Meta:
            model = Message
            fields = [
                "id", "message_ref", "campaign", "order", "step", "status", "reason_code", "reason_label",
                "reason_detail", "channel", "country", "variant", "send_at", "sent_at", "delivered_at", "clicked_at",
                "provider_message_id", "cost", "currency", "attempt_count", "estimated", "created_at",
            ]  # fmt: skip

    queryset = Message.objects.order_by("-created_at", "-id")
    serializer_class = Output
    pagination_class = Page

    def get_queryset(self):
        rows = super().get_queryset()
        params = self.request.query_params
        filters = {
            "campaign_id": params.get("campaign"),
            "order_id": params.get("order"),
            "status": params.get("status"),
            "reason_code": params.get("code"),
            "channel": params.get("channel"),
            "country": (params.get("country") or "").upper() or None,
        }
        for key in ("campaign_id", "order_id"):
            if filters[key] and not str(filters[key]).isdigit():
                raise ValidationError({key.removesuffix("_id"): ["must be a number"]})
        if filters["status"] and filters["status"] not in MessageStatus.values:
            raise ValidationError({"status": [f"one of {', '.join(MessageStatus.values)}"]})
        return rows.filter(**{k: v for k, v in filters.items() if v})


class ReviewInput(serializers.Serializer):
    order_id = serializers.CharField(required=False, help_text="the order's id (external id) or order number")
    asin = serializers.CharField(required=False, help_text="ASIN / product id, when no order is named")
    sku = serializers.CharField(required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    date = serializers.DateField()
    title = serializers.CharField(required=False)
    text = serializers.CharField(required=False)


class ReviewRowError(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ReviewImportErrors(serializers.Serializer):
    detail = serializers.CharField()
    errors = ReviewRowError(many=True, required=False)  # absent when the body itself is unreadable


class ReviewImportResult(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    attributed = serializers.IntegerField()
    orders_marked = serializers.IntegerField()
    reviews = serializers.ListField(child=serializers.DictField())


class ReceivedReviewViewSet(mixins.ListModelMixin, MerchantScopedViewSet):
    """Reviews the merchant reports back. `POST` one review object or a list of up to 1,000:
    `{"order_id" or "asin", "rating": 1-5, "date": "YYYY-MM-DD", "title", "text", "sku"}`. All or nothing:
    one bad item answers 400 with `errors` (index, field, message) and stores none. Each review marks its
    order reviewed and is attributed to the request sent within the campaign's attribution window."""

    MAX_ITEMS = 1000

    @extend_schema_serializer(component_name="ReceivedReview")
    class Output(serializers.ModelSerializer):
        order_external_id = serializers.CharField(source="order.external_id", default=None, read_only=True)

        class Meta:
            model = ReceivedReview
            fields = [
                "id", "order", "order_external_id", "asin", "sku", "rating", "reviewed_on", "title", "text",
                "source", "attributed_message", "created_at",
            ]  # fmt: skip

    queryset = ReceivedReview.objects.select_related("order").order_by("-reviewed_on", "-id")
    serializer_class = Output
    pagination_class = Page

    @extend_schema(
        request=ReviewInput(many=True),
        responses={201: ReviewImportResult, 400: ReviewImportErrors},
        description="One review object, or a list of up to 1,000 (all or nothing).",
    )
    def create(self, request):
        items = request.data if isinstance(request.data, list) else [request.data]
        if not items:
            raise ValidationError({"detail": "Send one review or a list of reviews."})
        if len(items) > self.MAX_ITEMS:
            raise ValidationError({"detail": f"At most {self.MAX_ITEMS} reviews per request."})
        report = services.import_reviews(
            merchant=self.merchant,
            rows=list(enumerate(items)),
            source=ReviewSource.API,
            all_or_nothing=True,
        )
        if report.errors:
            errors = [{"index": e["line"], "field": e["field"], "message": e["message"]} for e in report.errors]
            return Response(
                {"detail": "Some reviews are invalid; none was stored.", "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                "created": report.created,
                "duplicates": report.duplicates,
                "attributed": report.attributed,
                "orders_marked": report.orders_marked,
                "reviews": self.Output(report.reviews, many=True).data,
            },
            status=status.HTTP_201_CREATED,
        )
