"""Member roles, ranked: each role can do what the roles below it can."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    OPERATOR = "operator", _("Operator")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", _("Owner")


RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2, Role.OWNER: 3}

# What each role is for, in one place (views and viewsets name the role they need):
#   viewer   reads everything of the merchant
#   operator runs campaigns, imports orders, handles service-recovery tickets
#   admin    edits settings, stores, channels and templates
#   owner    manages members, API keys and billing


def role_allows(role: str, required: str) -> bool:
    return RANK.get(Role(role), -1) >= RANK[Role(required)]
