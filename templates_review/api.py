"""The templates API: lint, template and draft CRUD, submit. Merchant from the key; others' templates are 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api import MerchantScopedGenericAPIView, MerchantScopedViewSet
from accounts.permissions import request_merchant
from accounts.roles import Role

from . import selectors, services
from .linting import LintInputError, lint
from .linting.profiles import PURPOSES, known_channels, known_marketplaces
from .models import LOCALES, Channel, Marketplace, MessageTemplate, Purpose


def _django_to_drf(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class LintInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=known_channels())
    marketplace = serializers.ChoiceField(choices=known_marketplaces(), allow_null=True, required=False)
    locale = serializers.CharField(max_length=35)
    purpose = serializers.ChoiceField(choices=PURPOSES, allow_null=True, required=False)
    subject = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False, max_length=300)
    body_text = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False, max_length=20_000
    )
    body_html = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False, max_length=20_000
    )
    countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False, default=list)
    link = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False, max_length=2000)


class LintView(MerchantScopedGenericAPIView):
    """POST /api/v1/templates/lint: the same JSON as `manage.py lint_template`, plus `fix` per finding."""

    serializer_class = LintInput
    read_role = Role.VIEWER
    write_role = Role.VIEWER  # reads and writes nothing

    def post(self, request):
        data = LintInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            result = lint(brand_names=[request_merchant(request).name], **values)
        except LintInputError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(result.as_dict())


class VersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    subject = serializers.CharField()
    body_text = serializers.CharField()
    body_html = serializers.CharField()
    whatsapp_content_sid = serializers.CharField()
    whatsapp_variables = serializers.DictField()
    link = serializers.CharField()
    content_hash = serializers.CharField()
    findings = serializers.ListField()
    rejection_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class TemplateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    channel = serializers.CharField()
    marketplace = serializers.CharField()
    locale = serializers.CharField()
    approved_version = serializers.SerializerMethodField()
    latest_version = serializers.SerializerMethodField()

    def get_approved_version(self, obj) -> int | None:
        approved = selectors.template_status(obj)["approved"]
        return approved.number if approved else None

    @extend_schema_field(
        inline_serializer(
            "LatestVersion", {"number": serializers.IntegerField(), "status": serializers.CharField()}, allow_null=True
        )
    )
    def get_latest_version(self, obj):
        latest = selectors.template_status(obj)["latest"]
        return {"number": latest.number, "status": latest.status} if latest else None


class ContentInput(serializers.Serializer):
    subject = serializers.CharField(allow_blank=True, required=False, default="", max_length=300, trim_whitespace=False)
    body_text = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=20_000, trim_whitespace=False
    )
    body_html = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=20_000, trim_whitespace=False
    )
    whatsapp_content_sid = serializers.CharField(allow_blank=True, required=False, default="", max_length=64)
    whatsapp_variables = serializers.DictField(child=serializers.CharField(), required=False, default=dict)
    link = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class TemplateCreateInput(ContentInput):
    name = serializers.CharField(max_length=120)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    marketplace = serializers.ChoiceField(choices=Marketplace.choices, default=Marketplace.OWN_SITE)
    locale = serializers.ChoiceField(choices=LOCALES)


class TemplateUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False)
    marketplace = serializers.ChoiceField(choices=Marketplace.choices, required=False)


def _actor(request):
    """The person behind a session request; None for an API key (the key's merchant is recorded instead)."""
    from accounts.models import User

    return request.user if isinstance(request.user, User) else None


def _content(data: dict) -> services.Content:
    return services.Content(
        subject=data["subject"],
        body_text=data["body_text"],
        body_html=data["body_html"],
        whatsapp_content_sid=data["whatsapp_content_sid"],
        whatsapp_variables=data["whatsapp_variables"],
        link=data.get("link", ""),
    )


class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, MerchantScopedViewSet):
    """Templates of the key's merchant; drafts are written with PUT …/draft and sent to review with POST …/submit."""

    queryset = MessageTemplate.objects.all()
    serializer_class = TemplateOutput
    read_role = Role.VIEWER
    write_role = Role.ADMIN

    def get_base_queryset(self):
        return selectors.templates_of(self.merchant)

    def get_queryset(self):
        return self.get_base_queryset()

    def create(self, request):
        data = TemplateCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            version = services.create_template(
                merchant=self.merchant,
                name=values["name"],
                purpose=values["purpose"],
                channel=values["channel"],
                marketplace=values["marketplace"],
                locale=values["locale"],
                content=_content(values),
                user=_actor(request),
            )
        except DjangoValidationError as exc:
            raise _django_to_drf(exc) from None
        template = self.get_queryset().get(pk=version.template_id)
        return Response(TemplateOutput(template).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        template = self.get_object()
        data = TemplateUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = {"name": template.name, "purpose": template.purpose, "marketplace": template.marketplace}
        values.update(data.validated_data)
        try:
            services.update_template_settings(template=template, **values)
        except DjangoValidationError as exc:
            raise _django_to_drf(exc) from None
        return Response(TemplateOutput(self.get_queryset().get(pk=template.pk)).data)

    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        template = self.get_object()
        return Response(VersionOutput(selectors.versions_of(template), many=True).data)

    @action(detail=True, methods=["put"])
    def draft(self, request, pk=None):
        template = self.get_object()
        data = ContentInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version = services.save_draft(
                template=template, content=_content(data.validated_data), user=_actor(request)
            )
        except DjangoValidationError as exc:
            raise _django_to_drf(exc) from None
        result = services.lint_version(version)
        return Response({"version": VersionOutput(version).data, "lint": result.as_dict()})

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        template = self.get_object()
        draft = template.versions.filter(status="draft").first()
        if draft is None:
            raise ValidationError({"detail": "There is no draft to submit."})
        try:
            version = services.submit_version(version=draft, user=_actor(request))
        except services.SubmissionBlocked as exc:
            return Response(
                {"detail": str(exc.message), "lint": exc.result.as_dict()}, status=status.HTTP_400_BAD_REQUEST
            )
        except DjangoValidationError as exc:
            raise _django_to_drf(exc) from None
        return Response(VersionOutput(version).data)
