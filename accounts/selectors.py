"""Reads for accounts."""

from __future__ import annotations

from .models import ApiKey, Membership, Merchant, User
from .roles import Role


def memberships_of(user: User):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.for_user(user).order_by("created_at", "id")


def members_of(merchant: Merchant):
    return Membership.objects.for_merchant(merchant).select_related("user").order_by("user__email")


def api_keys_of(merchant: Merchant):
    return ApiKey.objects.for_merchant(merchant).select_related("created_by")


def owners_of(merchant: Merchant) -> list[User]:
    return [m.user for m in Membership.objects.filter(merchant=merchant, role=Role.OWNER).select_related("user")]
