from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .countries import parse_country_list
from .models import Channel, MessageClass, Plan

CAP_FIELD = {"required": False, "min_value": Decimal("0"), "max_digits": 12, "decimal_places": 2}


def _cents(value: Decimal | None) -> Decimal | None:
    """A stored cap (six places) shown as the form takes it: 300.000000 -> 300.00."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value


def _channel_field_names(channel: str) -> tuple[str, str]:
    return f"{channel}_monthly", f"{channel}_daily"


class BudgetCapForm(forms.Form):
    """The owner's caps: merchant-wide, per channel (blank = no cap), and where SMS/WhatsApp may go."""

    monthly_limit = forms.DecimalField(label=_("Monthly cap, all channels"), **CAP_FIELD)
    daily_limit = forms.DecimalField(label=_("Daily cap, all channels"), **CAP_FIELD)
    countries_follow_stores = forms.BooleanField(
        label=_("SMS and WhatsApp may go to the countries my stores ship to"), required=False
    )
    allowed_countries = forms.CharField(
        label=_("Countries allowed for SMS and WhatsApp"),
        required=False,
        help_text=_(
            "ISO codes separated by commas, e.g. US, GB, DE. Used when the option above is off, "
            "or while your stores' shipping countries are not known."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel, label in Channel.choices:
            monthly, daily = _channel_field_names(channel)
            self.fields[monthly] = forms.DecimalField(
                label=_("%(channel)s monthly cap") % {"channel": label}, **CAP_FIELD
            )
            self.fields[daily] = forms.DecimalField(label=_("%(channel)s daily cap") % {"channel": label}, **CAP_FIELD)

    def clean_allowed_countries(self):
        return parse_country_list(self.cleaned_data["allowed_countries"])

    def channel_rows(self):
        return [
            (label, self[_channel_field_names(channel)[0]], self[_channel_field_names(channel)[1]])
            for channel, label in Channel.choices
        ]

    def channel_limits(self) -> dict:
        return {
            channel: (
                self.cleaned_data.get(_channel_field_names(channel)[0]),
                self.cleaned_data.get(_channel_field_names(channel)[1]),
            )
            for channel in Channel.values
        }

    @classmethod
    def initial_from(cls, cap, channel_caps) -> dict:
        initial = {
            "monthly_limit": _cents(cap.monthly_limit),
            "daily_limit": _cents(cap.daily_limit),
            "countries_follow_stores": cap.countries_follow_stores,
            "allowed_countries": ", ".join(cap.allowed_countries or []),
        }
        for channel, channel_cap in channel_caps.items():
            monthly, daily = _channel_field_names(channel)
            initial[monthly] = _cents(channel_cap.monthly_limit)
            initial[daily] = _cents(channel_cap.daily_limit)
        return initial


def parse_shares(text: str) -> dict[str, Decimal]:
    """'US 60, GB 25, DE:15' -> {'US': 60, 'GB': 25, 'DE': 15}; the shares must add up to 100."""
    shares: dict[str, Decimal] = {}
    bad = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        code, _sep, share = part.replace(":", " ").replace("=", " ").partition(" ")
        try:
            country = parse_country_list(code)[0]
            value = Decimal(share.strip().rstrip("%") or "")
        except (ValidationError, IndexError, ArithmeticError):
            bad.append(part)
            continue
        if value <= 0 or value > 100:
            bad.append(part)
            continue
        shares[country] = shares.get(country, Decimal(0)) + value
    if bad:
        raise ValidationError(
            _("Could not read: %(parts)s. Write a country code and a percentage, e.g. US 60."),
            params={"parts": "; ".join(bad)},
        )
    if not shares:
        raise ValidationError(_("Name at least one country, e.g. US 100."))
    if sum(shares.values()) != 100:
        raise ValidationError(
            _("The country shares add up to %(total)s%%; they must add up to 100%%."),
            params={"total": sum(shares.values())},
        )
    return shares


PERCENT = {"min_value": Decimal("0"), "max_value": Decimal("100"), "decimal_places": 1, "initial": Decimal("0")}


class QuoteForm(forms.Form):
    monthly_orders = forms.IntegerField(label=_("Orders a month"), min_value=0, max_value=10_000_000, initial=1000)
    messages_per_order = forms.IntegerField(
        label=_("Messages per order"),
        min_value=1,
        max_value=5,
        initial=1,
        help_text=_("e.g. a review request and a reminder = 2 (Amazon: always one per order)."),
    )
    email_share = forms.DecimalField(label=_("Orders reached by email (%)"), **{**PERCENT, "initial": 60})
    sms_share = forms.DecimalField(label=_("Orders reached by SMS (%)"), **{**PERCENT, "initial": 10})
    whatsapp_share = forms.DecimalField(label=_("Orders reached by WhatsApp (%)"), **PERCENT)
    amazon_solicitation_share = forms.DecimalField(
        label=_("Orders reached by Amazon Request a Review (%)"), **{**PERCENT, "initial": 30}
    )
    sms_segments = forms.IntegerField(label=_("SMS segments per message"), min_value=1, max_value=10, initial=1)
    message_class = forms.ChoiceField(
        label=_("Message class"), choices=MessageClass.choices, initial=MessageClass.MARKETING
    )
    countries = forms.CharField(
        label=_("Destination countries"),
        initial="US 60, GB 20, DE 20",
        help_text=_("Country codes with the share of orders, adding up to 100, e.g. US 60, GB 20, DE 20."),
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"),
        queryset=Plan.objects.filter(is_active=True),
        required=False,
        empty_label=_("My current plan"),
    )

    def clean_countries(self):
        return parse_shares(self.cleaned_data["countries"])

    def channel_shares(self) -> dict[str, Decimal]:
        # push has no share field: the quote covers the channels a merchant estimates volumes for
        data = self.cleaned_data
        return {channel: data[f"{channel}_share"] for channel in Channel.values if f"{channel}_share" in data}
