"""The channels API: accounts (read; never credentials), suppressions (read, add, remove), events (read)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, pagination, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api import MerchantScopedViewSet
from accounts.roles import Role
from linkstar.identity import InvalidAddress

from . import services
from .models import ChannelAccount, DeliveryEvent, SuppressionEntry
from .senders import Channel


class Page(pagination.PageNumberPagination):
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"


class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantScopedViewSet):
    @extend_schema_serializer(component_name="ChannelAccount")
    class Output(serializers.ModelSerializer):
        channel = serializers.CharField(read_only=True)

        class Meta:
            model = ChannelAccount
            fields = [
                "id", "kind", "channel", "name", "status", "from_email", "from_name", "reply_to", "sms_from",
                "messaging_service_sid", "whatsapp_from", "amazon_seller_id", "amazon_marketplaces",
                "last_error", "last_error_at", "verified_at", "created_at",
            ]  # fmt: skip

    queryset = ChannelAccount.objects.order_by("name", "id")
    serializer_class = Output
    pagination_class = Page


class SuppressionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, MerchantScopedViewSet
):
    write_role = Role.ADMIN

    @extend_schema_serializer(component_name="Suppression")
    class Output(serializers.ModelSerializer):
        class Meta:
            model = SuppressionEntry
            fields = ["id", "channel", "address", "address_hash", "reason", "scope", "source", "created_at"]

    @extend_schema_serializer(component_name="SuppressionInput")
    class Input(serializers.Serializer):
        channel = serializers.ChoiceField(choices=[Channel.EMAIL, Channel.SMS, Channel.WHATSAPP])
        address = serializers.CharField(max_length=320)
        scope = serializers.ChoiceField(choices=SuppressionEntry.Scope.choices, default=SuppressionEntry.Scope.ALL)

    queryset = SuppressionEntry.objects.order_by("-created_at", "-id")
    serializer_class = Output
    pagination_class = Page

    def get_queryset(self):
        rows = super().get_queryset()
        channel = self.request.query_params.get("channel")
        return rows.filter(channel=channel) if channel else rows

    @extend_schema(request=Input, responses={201: Output})
    def create(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            entry = services.suppress(
                merchant=self.merchant,
                reason=SuppressionEntry.Reason.MANUAL,
                source="API",
                **data.validated_data,
            )
        except (InvalidAddress, DjangoValidationError) as exc:
            raise ValidationError({"address": [str(exc)]}) from None
        return Response(self.Output(entry).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.remove_suppression(entry=instance)


class EventViewSet(mixins.ListModelMixin, MerchantScopedViewSet):
    @extend_schema_serializer(component_name="DeliveryEvent")
    class Output(serializers.ModelSerializer):
        class Meta:
            model = DeliveryEvent
            fields = ["id", "provider", "provider_event_id", "event_type", "message_ref", "detail", "occurred_at"]

    queryset = DeliveryEvent.objects.order_by("-occurred_at", "-id")
    serializer_class = Output
    pagination_class = Page

    def get_queryset(self):
        rows = super().get_queryset()
        ref = self.request.query_params.get("message_ref")
        return rows.filter(message_ref=ref) if ref else rows
