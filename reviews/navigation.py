from django.utils.translation import gettext_lazy as _

from linkstar.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Campaigns"), "reviews:list", order=30),
    NavItem(_("Send log"), "reviews:log", order=31),
    NavItem(_("Broadcasts"), "reviews:broadcasts", order=32),
]
