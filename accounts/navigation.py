from django.utils.translation import gettext_lazy as _

from linkstar.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Dashboard"), "accounts:dashboard", order=0),
    NavItem(_("Settings"), "accounts:settings", order=900, min_role="admin"),
    NavItem(_("Members"), "accounts:members", order=910, min_role="owner"),
    NavItem(_("API keys"), "accounts:api_keys", order=920, min_role="owner"),
]
