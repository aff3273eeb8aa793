from django.utils.translation import gettext_lazy as _

from linkstar.navigation import NavItem

NAV_ITEMS = [NavItem(_("Insert cards"), "inserts:cards", order=440)]
