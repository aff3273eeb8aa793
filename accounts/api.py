"""The base of every merchant API view: the merchant comes from the key or the session, once."""

from rest_framework import generics, serializers, viewsets
from rest_framework.exceptions import NotAuthenticated

from .permissions import request_merchant
from .roles import Role


class MerchantScopedAPIMixin:
    """`self.merchant` from the request; `get_queryset()` filtered by it through `for_merchant`.

    Subclasses set `queryset` (or override `get_base_queryset`). Lookups of
    another merchant's object therefore raise 404.
    """

    read_role = Role.VIEWER
    write_role = Role.OPERATOR

    @property
    def merchant(self):
        merchant = request_merchant(self.request)
        if merchant is None:
            raise NotAuthenticated()
        return merchant

    def get_base_queryset(self):
        return self.queryset.all()

    def get_queryset(self):
        return self.get_base_queryset().for_merchant(self.merchant)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["merchant"] = request_merchant(self.request)
        return context


class MerchantScopedViewSet(MerchantScopedAPIMixin, viewsets.GenericViewSet):
    pass


class MerchantScopedGenericAPIView(MerchantScopedAPIMixin, generics.GenericAPIView):
    pass


# --- this app's own endpoints ------------------------------------------------------


class MerchantSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(read_only=True)
    default_language = serializers.ChoiceField(choices=["en", "zh-hans"])
    default_time_zone = serializers.CharField(max_length=64)
    status = serializers.CharField(read_only=True)


class CurrentMerchantView(generics.RetrieveUpdateAPIView):
    """The merchant the key (or session) belongs to. Updating needs the admin role."""

    serializer_class = MerchantSerializer
    read_role = Role.VIEWER
    write_role = Role.ADMIN
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        merchant = request_merchant(self.request)
        if merchant is None:
            raise NotAuthenticated()
        return merchant

    def perform_update(self, serializer):
        from django.core.exceptions import ValidationError as DjangoValidationError
        from rest_framework.exceptions import ValidationError

        from .services import update_merchant_settings

        merchant = serializer.instance
        data = {
            "name": merchant.name,
            "default_language": merchant.default_language,
            "default_time_zone": merchant.default_time_zone,
            **serializer.validated_data,
        }
        try:
            serializer.instance = update_merchant_settings(merchant=merchant, **data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
