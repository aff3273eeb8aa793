"""The campaigns API: campaigns (CRUD, status) and the outbox (messages, read only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, pagination, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api import MerchantScopedViewSet
from channels.models import ChannelAccount
from orders.models import Store

from . import services
from .models import Campaign, CampaignStatus, Channel, Message, MessageStatus, Purpose
from .services import CAMPAIGN_FIELDS


class Page(pagination.PageNumberPagination):
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"


class PlanStepSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, default="*")
    position = serializers.IntegerField(min_value=0, max_value=20)
    channel = serializers.ChoiceField(choices=Channel.choices)
    account = serializers.IntegerField()
    template_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


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

    class Output(serializers.ModelSerializer):
        plan = serializers.SerializerMethodField()
        variants = serializers.SerializerMethodField()
        stores = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

        class Meta:
            model = Campaign
            fields = ["id", "status", "stores", *CAMPAIGN_FIELDS, "plan", "variants", "created_at", "updated_at"]

        def get_plan(self, obj):
            return [
                {"country": s.country, "position": s.position, "channel": s.channel, "account": s.account_id,
                 "template_name": s.template_name}
                for s in obj.plan_steps.all()
            ]  # fmt: skip

        def get_variants(self, obj):
            return [{"name": v.name, "weight": v.weight, "template_name": v.template_name} for v in obj.variants.all()]

    class Input(serializers.ModelSerializer):
        plan = PlanStepSerializer(many=True, required=False)
        variants = VariantSerializer(many=True, required=False)
        stores = serializers.ListField(child=serializers.IntegerField(), required=False)

        class Meta:
            model = Campaign
            fields = [*CAMPAIGN_FIELDS, "plan", "variants", "stores"]

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

    def create(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            campaign = services.create_campaign(merchant=self.merchant, user=None, **self._resolve(data.validated_data))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(self.Output(campaign).data, status=status.HTTP_201_CREATED)

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


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantScopedViewSet):
    """The outbox: filters `campaign`, `order`, `status`, `code`, `channel`, `country`."""

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


class BroadcastViewSet(mixins.ListModelMixin, MerchantScopedViewSet):
    """Repeat-purchase broadcasts: list them; `POST` with `dry_run: true` previews the segment (counts per
    reason and a sample, nothing saved), without it schedules the broadcast (segment, campaign, planning)."""

    class Output(serializers.ModelSerializer):
        segment = serializers.SerializerMethodField()
        plan = serializers.SerializerMethodField()

        class Meta:
            model = Campaign
            fields = ["id", "name", "status", "send_on", "send_time", "segment", "plan", "support_url", "created_at"]

        def get_segment(self, obj):
            s = obj.segment
            if s is None:
                return None
            return {
                "name": s.name, "stores": [x.pk for x in s.stores.all()], "countries": s.countries,
                "last_order_from": s.last_order_from, "last_order_to": s.last_order_to, "skus": s.skus,
                "min_orders": s.min_orders,
            }  # fmt: skip

        def get_plan(self, obj):
            return [
                {"channel": s.channel, "account": s.account_id, "template_name": s.template_name}
                for s in obj.plan_steps.all()
            ]

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        stores = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
        countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False, default=list)
        last_order_from = serializers.DateField(required=False, allow_null=True, default=None)
        last_order_to = serializers.DateField(required=False, allow_null=True, default=None)
        skus = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
        min_orders = serializers.IntegerField(min_value=1, max_value=1000, default=1)
        channel = serializers.ChoiceField(choices=[c for c in Channel.values if c != Channel.AMAZON])
        account = serializers.IntegerField()
        template_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
        support_url = serializers.URLField(required=False, allow_blank=True, default="")
        send_on = serializers.DateField(required=False, allow_null=True, default=None)
        send_time = serializers.TimeField(required=False, allow_null=True, default=None)
        cap_messages = serializers.IntegerField(min_value=1, max_value=100, default=2)
        cap_days = serializers.IntegerField(min_value=1, max_value=365, default=30)
        dry_run = serializers.BooleanField(default=False)

    queryset = (
        Campaign.objects.filter(purpose=Purpose.BROADCAST)
        .select_related("segment")
        .prefetch_related("plan_steps", "segment__stores")
        .order_by("-created_at", "-id")
    )
    serializer_class = Output
    pagination_class = Page

    def create(self, request):
        from . import broadcasts

        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        merchant = self.merchant
        account = ChannelAccount.objects.for_merchant(merchant).filter(pk=values["account"]).first()
        if account is None:
            raise ValidationError({"account": [f"unknown channel account {values['account']}"]})
        stores = list(Store.objects.for_merchant(merchant).filter(pk__in=values["stores"]))
        if len(stores) != len(set(values["stores"])):
            raise ValidationError({"stores": ["unknown store"]})
        steps = [
            {"country": "*", "position": 0, "channel": values["channel"], "account": account,
             "template_name": values["template_name"]}
        ]  # fmt: skip
        try:
            criteria = broadcasts.segment_criteria(
                merchant=merchant, stores=stores, countries=values["countries"],
                last_order_from=values["last_order_from"], last_order_to=values["last_order_to"],
                skus=values["skus"], min_orders=values["min_orders"],
            )  # fmt: skip
            if values["dry_run"]:
                preview = broadcasts.preview_broadcast(
                    merchant=merchant, criteria=criteria, steps=steps, send_on=values["send_on"],
                    send_time=values["send_time"], cap_messages=values["cap_messages"], cap_days=values["cap_days"],
                )  # fmt: skip
                return Response(
                    {
                        "total": preview.total,
                        "eligible": preview.eligible,
                        "reasons": preview.codes,
                        # buyer ids, not names: the API client can read its own buyers by id
                        "sample": [{k: v for k, v in row.items() if k != "name"} for row in preview.sample],
                    }
                )
            campaign = broadcasts.schedule_broadcast(
                merchant=merchant, user=None, name=values["name"], criteria=criteria, steps=steps,
                send_on=values["send_on"], send_time=values["send_time"],
                data={"support_url": values["support_url"], "cap_messages": values["cap_messages"],
                      "cap_days": values["cap_days"]},
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(self.Output(campaign).data, status=status.HTTP_201_CREATED)
