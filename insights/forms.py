"""The report filters (GET forms): campaign (the merchant's own only), channel, country, dates, period."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.models import Campaign, Channel

from .selectors import ReportFilter

PERIOD_CHOICES = [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))]
MAX_DAYS = 731


class ReportFilterForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(label=_("Group by"), choices=PERIOD_CHOICES, required=False)

    def __init__(self, *args, merchant, with_campaign: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_campaign:
            self.fields["campaign"].queryset = Campaign.objects.for_merchant(merchant).order_by("name")
        else:
            del self.fields["campaign"]

    def clean_country(self):
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if country and not (len(country) == 2 and country.isalpha()):
            raise forms.ValidationError(_("Enter a two-letter country code such as US or DE."))
        return country

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start date is after the end date."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("Choose a range of at most two years."))
        return data

    def to_filter(self, *, campaign: Campaign | None = None, default: ReportFilter | None = None) -> ReportFilter:
        data = self.cleaned_data
        base = default or ReportFilter()
        has_dates = data.get("date_from") or data.get("date_to")
        return ReportFilter(
            campaign=campaign or data.get("campaign"),
            channel=data.get("channel") or "",
            country=data.get("country") or "",
            date_from=data.get("date_from") if has_dates else base.date_from,
            date_to=data.get("date_to") if has_dates else base.date_to,
            period=data.get("period") or base.period,
        )
