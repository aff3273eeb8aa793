"""Forms of the campaign editor: the campaign's rules, its channel plan and its A/B variants."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from channels.models import ChannelAccount
from orders.models import Order, Store

from .codes import Code
from .models import (
    Campaign,
    Channel,
    MessageStatus,
    Purpose,
    Satisfaction,
    TicketReason,
    TicketSource,
    TicketStatus,
)

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
LIST_FIELDS = [
    "sku_include", "sku_exclude", "product_include", "product_exclude", "category_include", "category_exclude",
    "countries_include", "countries_exclude", "test_recipients",
]  # fmt: skip


class ListField(forms.CharField):
    """A list typed as comma- or line-separated values."""

    def __init__(self, *, upper: bool = False, **kwargs):
        self.upper = upper
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        items = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
        return [i.upper() for i in items] if self.upper else items


class CampaignForm(forms.ModelForm):
    sku_include = ListField(label=_("Only these SKUs"))
    sku_exclude = ListField(label=_("Never these SKUs"))
    product_include = ListField(label=_("Only these product ids"))
    product_exclude = ListField(label=_("Never these product ids"))
    category_include = ListField(label=_("Only these categories"))
    category_exclude = ListField(label=_("Never these categories"))
    countries_include = ListField(label=_("Only these ship-to countries"), upper=True, help_text=_("ISO codes: US, DE"))
    countries_exclude = ListField(label=_("Never these ship-to countries"), upper=True)
    test_recipients = ListField(
        label=_("Test recipients"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Email addresses, phone numbers or Amazon order ids; in test mode nobody else is contacted."),
    )
    exclude_fulfillment = forms.MultipleChoiceField(
        label=_("Exclude fulfilment channels"),
        choices=Order.FulfillmentChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    review_url = forms.URLField(
        label=_("Review page address"),
        required=False,
        assume_scheme="https",
        help_text=_("Where the review link leads; {product_id} and {order_number} are filled in."),
    )
    support_url = forms.URLField(
        label=_("Support page address"),
        required=False,
        assume_scheme="https",
        help_text=_("Empty: the support link opens Linkstar's help page, whose form opens a ticket for you."),
    )
    send_days = forms.TypedMultipleChoiceField(
        label=_("Send on"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Campaign
        fields = [
            "name", "purpose", "message_class", "stores", "delay_days", "fallback_stores", "shipped_fallback_days",
            "max_age_days", "reminder_days", "review_url", "support_url", "exclude_fulfillment", "sku_include",
            "sku_exclude", "product_include", "product_exclude", "category_include", "category_exclude",
            "countries_include", "countries_exclude", "min_total", "exclude_repeat_buyers", "window_start",
            "window_end", "send_days", "cap_messages", "cap_days", "min_gap_hours", "daily_cap", "holdout_percent",
            "test_mode", "test_recipients", "satisfaction_check", "track_opens", "attribution_days",
        ]  # fmt: skip
        widgets = {
            "stores": forms.CheckboxSelectMultiple,
            "fallback_stores": forms.CheckboxSelectMultiple,
            "window_start": forms.TimeInput(attrs={"type": "time"}),
            "window_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        stores = Store.objects.for_merchant(merchant).order_by("name")
        self.fields["stores"].queryset = stores
        self.fields["fallback_stores"].queryset = stores
        # Broadcasts are made on their own page (segment, preview, schedule); notices set their own class.
        if self.instance.purpose != Purpose.BROADCAST:
            self.fields["purpose"].choices = [c for c in Purpose.choices if c[0] != Purpose.BROADCAST]
        self.fields["purpose"].help_text = _(
            "Fulfilment notices go out at once (inside the window) when the order event arrives, at most one "
            "per order and event; they are transactional and need no marketing consent."
        )
        self.fields["message_class"].help_text = _(
            "Marketing messages go only to buyers who consented on the channel. Fulfilment notices are always "
            "transactional."
        )
        self.fields["attribution_days"].required = False

    def clean(self):
        data = super().clean()
        if data.get("attribution_days") is None and not self.has_error("attribution_days"):
            data["attribution_days"] = Campaign._meta.get_field("attribution_days").default
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", _("The window must end after it starts."))
        if data.get("test_mode") and not data.get("test_recipients"):
            self.add_error("test_recipients", _("Test mode needs at least one test recipient."))
        if data.get("fallback_stores") and data.get("shipped_fallback_days") is None:
            self.add_error("shipped_fallback_days", _("Say how many days after shipping to assume delivery."))
        return data

    def campaign_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("stores", None)
        data.pop("fallback_stores", None)
        return data


class PlanStepForm(forms.Form):
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("ISO code, or * for the default plan")
    )
    position = forms.IntegerField(label=_("Order"), min_value=1, max_value=9, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False)
    account = forms.ModelChoiceField(label=_("Account"), queryset=ChannelAccount.objects.none(), required=False)
    template_name = forms.CharField(label=_("Template"), max_length=120, required=False)

    def __init__(self, *args, merchant=None, **kwargs):
        super().__init__(*args, **kwargs)
        if merchant is not None:
            self.fields["account"].queryset = ChannelAccount.objects.for_merchant(merchant).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("channel"):
            return data
        if not data.get("account"):
            self.add_error("account", _("Choose the account that sends this channel."))
        data["country"] = (data.get("country") or "*").strip().upper() or "*"
        if data["country"] != "*" and (len(data["country"]) != 2 or not data["country"].isalpha()):
            self.add_error("country", _("Use a two-letter country code or *."))
        return data


class VariantForm(forms.Form):
    name = forms.CharField(label=_("Variant"), max_length=40, required=False)
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=1000, required=False)
    template_name = forms.CharField(label=_("Template"), max_length=120, required=False)


PlanStepFormSet = formset_factory(PlanStepForm, extra=3, max_num=30)
VariantFormSet = formset_factory(VariantForm, extra=2, max_num=10)


def plan_steps_from(formset) -> list[dict]:
    steps = []
    for index, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None) or {}
        if not data.get("channel"):
            continue
        steps.append(
            {
                "country": data["country"],
                "position": (data.get("position") or index + 1) - 1,
                "channel": data["channel"],
                "account": data["account"],
                "template_name": data.get("template_name", ""),
            }
        )
    return steps


def variants_from(formset) -> list[dict]:
    return [
        {"name": d["name"], "weight": d.get("weight") or 1, "template_name": d.get("template_name", "")}
        for d in (getattr(f, "cleaned_data", None) or {} for f in formset.forms)
        if d.get("name")
    ]


class SendLogFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *MessageStatus.choices], required=False)
    code = forms.ChoiceField(label=_("Reason"), choices=[("", _("Any")), *Code.choices], required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.for_merchant(merchant).order_by("name")


class BroadcastForm(forms.Form):
    """A repeat-purchase broadcast: the segment, one channel, and the buyers' local date and time."""

    name = forms.CharField(label=_("Name"), max_length=120)
    stores = forms.ModelMultipleChoiceField(
        label=_("Stores"),
        queryset=Store.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: every store."),
    )
    countries = ListField(label=_("Ship-to countries of the last order"), upper=True, help_text=_("ISO codes: US, DE"))
    last_order_from = forms.DateField(
        label=_("Last order on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last_order_to = forms.DateField(
        label=_("Last order on or before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    skus = ListField(label=_("Bought one of these SKUs"))
    min_orders = forms.IntegerField(label=_("At least this many orders"), min_value=1, max_value=1000, initial=2)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(c, label) for c, label in Channel.choices if c != Channel.AMAZON]
    )
    account = forms.ModelChoiceField(label=_("Account"), queryset=ChannelAccount.objects.none())
    template_name = forms.CharField(
        label=_("Template"),
        max_length=120,
        required=False,
        help_text=_("Empty: the latest approved broadcast template for the channel and the buyer's language."),
    )
    support_url = forms.URLField(
        label=_("Address of the template's support link"), required=False, assume_scheme="https"
    )
    send_on = forms.DateField(label=_("Send on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    send_time = forms.TimeField(
        label=_("At (each buyer's local time)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    cap_messages = forms.IntegerField(label=_("At most this many messages per buyer"), min_value=1, initial=2)
    cap_days = forms.IntegerField(label=_("… in this many days"), min_value=1, max_value=365, initial=30)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = Store.objects.for_merchant(merchant).order_by("name")
        self.fields["account"].queryset = ChannelAccount.objects.for_merchant(merchant).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("last_order_from"), data.get("last_order_to")
        if start and end and start > end:
            self.add_error("last_order_to", _("The end of the date range is before its start."))
        for code in data.get("countries") or []:
            if len(code) != 2 or not code.isalpha():
                self.add_error("countries", _("Use two-letter country codes such as US, DE."))
                break
        return data

    def steps(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "country": "*",
                "position": 0,
                "channel": data["channel"],
                "account": data["account"],
                "template_name": data.get("template_name", ""),
            }
        ]


# --- buyers' side and the service-recovery inbox -------------------------------------------------------------


class HelpForm(forms.Form):
    """The help page: what went wrong, in the buyer's words, with an optional photo."""

    reason = forms.ChoiceField(
        label=_("What went wrong?"),
        choices=[(value, text) for value, text in TicketReason.choices if value != TicketReason.UNHAPPY],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Tell us more"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_photo(self):
        from .recovery import clean_photo

        upload = self.cleaned_data.get("photo")
        return clean_photo(upload) if upload else None


class SatisfactionForm(forms.Form):
    answer = forms.ChoiceField(label=_("How was your order?"), choices=Satisfaction.choices, widget=forms.RadioSelect)


class TicketFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *TicketStatus.choices], required=False)
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("All")), *TicketReason.choices], required=False)
    source = forms.ChoiceField(label=_("Source"), choices=[("", _("All")), *TicketSource.choices], required=False)


class TicketStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=TicketStatus.choices)


class TicketNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class TicketReplyForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(label=_("Message to the buyer"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))


class ReviewUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: order id or ASIN, rating (1–5), date; optional: title, text, SKU."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is too large (at most 10 MB)."))
        return upload


class AuditPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.for_merchant(merchant).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The period must end after it starts."))
        if start and end and (end - start).days > 366:
            self.add_error("date_to", _("Choose a period of at most a year."))
        return data
