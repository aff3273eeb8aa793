from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LOCALE_CHOICES, Channel, Marketplace, Purpose


class ContentForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)
    body_text = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"})
    )
    body_html = forms.CharField(
        label=_("HTML (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"})
    )
    link = forms.CharField(
        label=_("Link opened on tap"),
        max_length=2000,
        required=False,
        help_text=_("{{ support_link }}, {{ review_link }} or an https address."),
    )
    whatsapp_content_sid = forms.CharField(label=_("WhatsApp content template id"), max_length=64, required=False)
    whatsapp_variables = forms.JSONField(
        label=_("WhatsApp variable mapping"), required=False, initial=dict, widget=forms.TextInput()
    )


class NewTemplateForm(ContentForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    marketplace = forms.ChoiceField(label=_("Marketplace profile"), choices=Marketplace.choices)
    locale = forms.ChoiceField(label=_("Buyer's language"), choices=LOCALE_CHOICES)

    field_order = ["name", "purpose", "channel", "marketplace", "locale"]


class TemplateSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    marketplace = forms.ChoiceField(label=_("Marketplace profile"), choices=Marketplace.choices)


class PreviewForm(forms.Form):
    """What the editor posts to the live preview on every pause in typing."""

    channel = forms.ChoiceField(choices=Channel.choices)
    marketplace = forms.ChoiceField(choices=Marketplace.choices, required=False)
    locale = forms.ChoiceField(choices=LOCALE_CHOICES)
    purpose = forms.ChoiceField(choices=Purpose.choices, required=False)
    subject = forms.CharField(max_length=300, required=False, strip=False)
    body_text = forms.CharField(required=False, strip=False, max_length=20_000)
    body_html = forms.CharField(required=False, strip=False, max_length=20_000)
    link = forms.CharField(required=False, strip=False, max_length=2000)
