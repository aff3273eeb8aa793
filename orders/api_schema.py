"""OpenAPI descriptions of the bulk endpoints (drf-spectacular).

The bulk views validate each row in `orders.ingest` / `orders.services` (so one bad row never
stops the others); these serializers only document the accepted shape and the per-row report.
"""

from rest_framework import serializers

from .models import Channel, Consent, Order, OrderEvent


class ConsentRow(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Consent.Status.choices)
    lawful_basis = serializers.ChoiceField(choices=Consent.LawfulBasis.choices, required=False)
    source = serializers.CharField(required=False)
    text_version = serializers.CharField(required=False)
    recorded_at = serializers.DateTimeField(required=False)
    ip = serializers.IPAddressField(required=False)


class BuyerRow(serializers.Serializer):
    external_id = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    email = serializers.CharField(required=False, help_text="normalised; an impossible address is a row error")
    phone = serializers.CharField(required=False, help_text="read with the ship-to country as region; stored E.164")
    language = serializers.CharField(required=False)
    time_zone = serializers.CharField(required=False)
    consents = ConsentRow(many=True, required=False)


class AddressRow(serializers.Serializer):
    name = serializers.CharField(required=False)
    line1 = serializers.CharField(required=False)
    line2 = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    region = serializers.CharField(required=False)
    postal_code = serializers.CharField(required=False)
    country = serializers.CharField(required=False, help_text="ISO 3166-1 alpha-2")


class ItemRow(serializers.Serializer):
    sku = serializers.CharField(required=False)
    product_id = serializers.CharField(required=False)
    title = serializers.CharField(required=False)
    quantity = serializers.IntegerField(required=False, min_value=1)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    category = serializers.CharField(required=False)


class OrderRow(serializers.Serializer):
    external_id = serializers.CharField()
    number = serializers.CharField(required=False)
    placed_at = serializers.DateTimeField(required=False)
    currency = serializers.CharField(required=False)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    status = serializers.CharField(required=False)
    fulfillment_channel = serializers.ChoiceField(choices=Order.FulfillmentChannel.choices, required=False)
    carrier = serializers.CharField(required=False)
    tracking_number = serializers.CharField(required=False)
    shipped_at = serializers.DateTimeField(required=False)
    delivered_at = serializers.DateTimeField(required=False)
    earliest_delivery_date = serializers.DateField(required=False)
    latest_delivery_date = serializers.DateField(required=False)
    cancelled = serializers.BooleanField(required=False)
    refunded = serializers.BooleanField(required=False)
    returned = serializers.BooleanField(required=False)
    claim_open = serializers.BooleanField(required=False)
    buyer_reviewed = serializers.BooleanField(required=False)
    ship_to = AddressRow(required=False)
    buyer = BuyerRow(required=False)
    items = ItemRow(many=True, required=False)


class BulkOrdersInput(serializers.Serializer):
    orders = OrderRow(many=True, max_length=1000)


class EventRow(serializers.Serializer):
    store = serializers.IntegerField(required=False, help_text="with external_id")
    external_id = serializers.CharField(required=False)
    tracking_number = serializers.CharField(required=False, help_text="instead of store + external_id")
    type = serializers.ChoiceField(choices=OrderEvent.Type.choices)
    occurred_at = serializers.DateTimeField()
    dedupe_key = serializers.CharField(required=False)
    data = serializers.DictField(required=False)


class BulkEventsInput(serializers.Serializer):
    events = EventRow(many=True, max_length=1000)


class RowError(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class RowReport(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True, required=False)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = RowError(many=True)
    order_id = serializers.IntegerField(allow_null=True, required=False)


class BulkReport(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    results = RowReport(many=True)


class EventReport(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    results = serializers.ListField(child=serializers.DictField())


class ErrorBody(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.JSONField(required=False)
