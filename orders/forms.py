from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import imports
from .models import Order, Platform, Store


class StoreForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = [
            "name",
            "platform",
            "marketplace",
            "default_currency",
            "default_language",
            "status",
            "postal_address",
            "pii_retention_days",
        ]
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Order number, buyer email or tracking number"), "type": "search"}
        ),
    )
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any"))] + Order.Status.choices, required=False)
    delivered = forms.ChoiceField(
        label=_("Delivered"),
        choices=[("", _("Any")), ("yes", _("Delivered")), ("no", _("Not yet delivered"))],
        required=False,
    )
    country = forms.CharField(label=_("Ship-to country"), max_length=2, required=False)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.for_merchant(merchant)


class MarkDeliveredForm(forms.Form):
    delivered_at = forms.DateTimeField(
        label=_("Signed for at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty means now."),
    )

    def clean_delivered_at(self):
        value = self.cleaned_data["delivered_at"]
        if value and value > timezone.now():
            raise forms.ValidationError(_("Delivery cannot be in the future."))
        return value


class ImportUploadForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none())
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, TXT (tab-separated) or XLSX; UTF-8, UTF-8 with BOM or GB18030."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        stores = Store.objects.for_merchant(merchant).exclude(status=Store.Status.ARCHIVED)
        self.fields["store"].queryset = stores
        manual = stores.filter(platform=Platform.MANUAL).first()
        if manual is not None:
            self.fields["store"].initial = manual.pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.ORDERS_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB; split it into smaller files.")
                % {"mb": settings.ORDERS_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Upload a .csv, .txt or .xlsx file."))
        return upload


class ImportMappingForm(forms.Form):
    """One select per target field, listing the file's columns."""

    def __init__(self, *args, headers: list[str], initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —"))] + [(h, h) for h in headers]
        for target, label in imports.TARGETS.items():
            self.fields[target] = forms.ChoiceField(
                label=label, choices=choices, required=False, initial=initial_mapping.get(target, "")
            )

    def mapping(self) -> dict[str, str]:
        return {t: h for t, h in self.cleaned_data.items() if h}
