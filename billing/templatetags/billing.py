from django import template

from billing.countries import country_name
from billing.money import display

register = template.Library()


@register.filter
def money(value):
    """12.5 -> '12.50', 0.0079 -> '0.0079' (never a float on the way)."""
    return display(value)


@register.filter
def country(code):
    return country_name(code) if code else "—"


@register.filter
def cap_name(item):
    """'Daily cap', 'Monthly SMS cap'… for a CapAlert or a CapState."""
    from django.utils.translation import gettext as _

    from billing.models import Channel

    channel = Channel(item.channel).label if item.channel in Channel.values else None
    if item.scope == "day":
        return _("Daily %(channel)s cap") % {"channel": channel} if channel else _("Daily cap")
    return _("Monthly %(channel)s cap") % {"channel": channel} if channel else _("Monthly cap")
