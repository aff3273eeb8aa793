"""The broadcasts API: `GET /api/v1/broadcasts/` lists them; `POST` previews a segment (`"dry_run": true`:
counts per reason and a sample, nothing saved) or schedules the broadcast (segment, campaign, planning)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api import MerchantScopedViewSet
from channels.models import ChannelAccount
from orders.models import Store

from . import broadcasts
from .api import LocalTimeField, Page, _django_errors
from .models import Campaign, Channel, PlanStep, Purpose, Segment

# The channels a broadcast may use: marketing never goes through Amazon.
BROADCAST_CHANNELS = [(c, label) for c, label in Channel.choices if c != Channel.AMAZON]


class SegmentOutput(serializers.ModelSerializer):
    stores = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Segment
        fields = ["name", "stores", "countries", "last_order_from", "last_order_to", "skus", "min_orders"]
        ref_name = "SegmentOutput"


class BroadcastStepOutput(serializers.ModelSerializer):
    class Meta:
        model = PlanStep
        fields = ["channel", "account", "template_name"]
        ref_name = "BroadcastStepOutput"


class BroadcastOutput(serializers.ModelSerializer):
    segment = SegmentOutput(read_only=True)
    plan = BroadcastStepOutput(source="plan_steps", many=True, read_only=True)
    send_time = LocalTimeField(allow_null=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "send_on", "send_time", "segment", "plan", "support_url", "created_at"]
        ref_name = "BroadcastOutput"


class BroadcastInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    stores = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False, default=list)
    last_order_from = serializers.DateField(required=False, allow_null=True, default=None)
    last_order_to = serializers.DateField(required=False, allow_null=True, default=None)
    skus = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    min_orders = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    channel = serializers.ChoiceField(choices=BROADCAST_CHANNELS)
    account = serializers.IntegerField()
    template_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    support_url = serializers.URLField(required=False, allow_blank=True, default="")
    send_on = serializers.DateField(required=False, allow_null=True, default=None)
    send_time = LocalTimeField(required=False, allow_null=True, default=None)
    cap_messages = serializers.IntegerField(min_value=1, max_value=100, default=2)
    cap_days = serializers.IntegerField(min_value=1, max_value=365, default=30)
    dry_run = serializers.BooleanField(default=False)

    class Meta:
        ref_name = "BroadcastInput"


class PreviewSample(serializers.Serializer):
    buyer_id = serializers.IntegerField()
    country = serializers.CharField()
    orders = serializers.IntegerField()
    last_order_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField()
    time_zone = serializers.CharField()
    send_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "BroadcastPreviewSample"


class PreviewOutput(serializers.Serializer):
    total = serializers.IntegerField()
    eligible = serializers.IntegerField()
    reasons = serializers.DictField(child=serializers.IntegerField())
    # buyer ids, not names: the API client reads its own buyers by id
    sample = PreviewSample(many=True)

    class Meta:
        ref_name = "BroadcastPreview"


class BroadcastViewSet(mixins.ListModelMixin, MerchantScopedViewSet):
    """Repeat-purchase broadcasts (campaigns of purpose `broadcast` with their segment)."""

    queryset = (
        Campaign.objects.filter(purpose=Purpose.BROADCAST)
        .select_related("segment")
        .prefetch_related("plan_steps", "segment__stores")
        .order_by("-created_at", "-id")
    )
    serializer_class = BroadcastOutput
    pagination_class = Page

    @extend_schema(request=BroadcastInput, responses={200: PreviewOutput, 201: BroadcastOutput})
    def create(self, request):
        data = BroadcastInput(data=request.data)
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
                body = {"total": preview.total, "eligible": preview.eligible, "reasons": preview.codes,
                        "sample": preview.sample}  # fmt: skip
                return Response(PreviewOutput(body).data)
            campaign = broadcasts.schedule_broadcast(
                merchant=merchant, user=None, name=values["name"], criteria=criteria, steps=steps,
                send_on=values["send_on"], send_time=values["send_time"],
                data={"support_url": values["support_url"], "cap_messages": values["cap_messages"],
                      "cap_days": values["cap_days"]},
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(BroadcastOutput(self.get_queryset().get(pk=campaign.pk)).data, status=status.HTTP_201_CREATED)
