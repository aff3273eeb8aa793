import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGE_CHOICES, ApiKey
from .roles import Role

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class SignUpForm(forms.Form):
    merchant_name = forms.CharField(label=_("Company or shop name"), max_length=200)
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True}))


class MerchantSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    default_language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGE_CHOICES)
    default_time_zone = forms.ChoiceField(label=_("Default time zone"), choices=TIME_ZONE_CHOICES)


class AddMemberForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)
    next = forms.CharField(required=False)
