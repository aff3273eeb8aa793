"""Forms of the connections pages: one field per credential of the platform; secrets never rendered back."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Store
from .registry import connector_for
from .services import PLATFORM_OF_KIND


class CredentialsForm(forms.Form):
    """Credentials of one platform. `editing`: every field is optional, a blank secret keeps the stored one."""

    label = forms.CharField(label=_("Connection name"), max_length=200)

    def __init__(self, *args, kind: str, editing: bool = False, stored: dict | None = None, merchant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        stored = stored or {}
        if not editing and merchant is not None and kind in PLATFORM_OF_KIND:
            stores = Store.objects.for_merchant(merchant).filter(
                platform=PLATFORM_OF_KIND[kind], connection__isnull=True
            )
            if stores.exists():
                self.fields["store"] = forms.ModelChoiceField(
                    label=_("Existing store"),
                    queryset=stores,
                    required=False,
                    empty_label=_("— a new store with this name —"),
                    help_text=_("Connect a store you already import orders into, or leave empty for a new one."),
                )
        for spec in connector_for(kind).fields:
            if spec.secret:
                widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
                help_text = spec.help_text
                if editing:
                    state = gettext("set") if stored.get(spec.name) else gettext("not set")
                    note = gettext("currently: %(state)s; leave empty to keep it") % {"state": state}
                    help_text = f"{help_text} ({note})" if help_text else note
                self.fields[spec.name] = forms.CharField(
                    label=spec.label, required=spec.required and not editing, widget=widget, help_text=help_text
                )
            else:
                self.fields[spec.name] = forms.CharField(
                    label=spec.label,
                    required=spec.required,
                    initial=stored.get(spec.name, ""),
                    help_text=spec.help_text,
                    max_length=500,
                )

    def credentials(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if name not in ("label", "store")}


class BackfillForm(forms.Form):
    days = forms.IntegerField(label=_("Import orders of the last (days)"), min_value=1, max_value=365, initial=30)
