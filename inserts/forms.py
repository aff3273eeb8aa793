from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .texts import LANGUAGES

LANGUAGE_CHOICES = [("", _("Each buyer's language")), *[(code, code) for code in LANGUAGES]]


class OrdersCardsForm(forms.Form):
    orders = forms.CharField(
        label=_("Order numbers"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line (order number or platform order id)."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)

    def refs(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["orders"].splitlines() if line.strip()]


class StoreCardsForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=None, required=False, empty_label=_("All stores"))
    copies = forms.IntegerField(label=_("Cards"), min_value=1, initial=8)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES[1:], initial="en")

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        from orders.selectors import stores_of

        self.fields["store"].queryset = stores_of(merchant)
        self.fields["copies"].max_value = settings.INSERT_CARDS_MAX_PER_SHEET


class CardSettingsForm(forms.Form):
    logo = forms.FileField(label=_("Logo (PNG or JPEG)"), required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    postal_address = forms.CharField(
        label=_("Postal address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    help_url = forms.URLField(label=_("Help page"), required=False, assume_scheme="https")
    review_url = forms.URLField(label=_("Review page"), required=False, assume_scheme="https")
