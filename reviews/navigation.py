from django.utils.translation import gettext_lazy as _

from linkstar.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Campaigns"), "reviews:list", order=30),
    NavItem(_("Send log"), "reviews:log", order=31),
    NavItem(_("Broadcasts"), "reviews:broadcasts", order=32),
    NavItem(_("Service recovery"), "reviews:tickets", order=32),
    NavItem(_("Reviews received"), "reviews:received", order=33),
    NavItem(_("Gating audit"), "reviews:gating_audit", order=34),
]
