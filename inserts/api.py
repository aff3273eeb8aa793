"""POST /api/v1/insert-cards: a print-ready PDF sheet of cards for orders, or store-wide cards."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.api import MerchantScopedGenericAPIView
from accounts.models import User
from accounts.roles import Role
from orders.models import Store

from . import services
from .models import CardBatch
from .texts import LANGUAGES


class CardsInput(serializers.Serializer):
    orders = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, help_text="order ids"
    )
    order_numbers = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, help_text="order numbers"
    )
    store = serializers.IntegerField(required=False, allow_null=True, help_text="store-wide cards: the store id")
    copies = serializers.IntegerField(required=False, default=1, min_value=1)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True, default="")


class InsertCardsView(MerchantScopedGenericAPIView):
    queryset = CardBatch.objects.all()
    write_role = Role.OPERATOR
    serializer_class = CardsInput

    @extend_schema(
        request=CardsInput,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), 400: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        data = CardsInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        store = None
        if values.get("store"):
            store = get_object_or_404(Store.objects.for_merchant(self.merchant), pk=values["store"])
        try:
            batch = services.create_card_batch(
                merchant=self.merchant,
                user=request.user if isinstance(request.user, User) else None,
                order_ids=values["orders"],
                order_refs=values["order_numbers"],
                store=store,
                copies=values["copies"],
                language=values["language"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            ) from None
        response = HttpResponse(services.render_batch_pdf(batch=batch), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="insert-cards-{batch.pk}.pdf"'
        response["X-Card-Sheet"] = str(batch.pk)
        return response
