"""Role and scope checks for the API, in one place.

A view names the role it needs to read (`read_role`, default viewer) and to
write (`write_role`, default operator). A session user needs that role in the
current merchant. An API key stands for its merchant: a read key may only
read; a write key may write wherever an admin could (owner-only areas such as
members and keys are not offered over the API).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiKey
from .roles import Role, role_allows


def request_merchant(request):
    if isinstance(request.auth, ApiKey):
        return request.auth.merchant
    return getattr(request, "merchant", None)


class MerchantRolePermission(BasePermission):
    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "read_role", Role.VIEWER)
        if request.method not in SAFE_METHODS:
            needed = getattr(view, "write_role", Role.OPERATOR)
        if isinstance(request.auth, ApiKey):
            if request.method in SAFE_METHODS:
                return True
            if request.auth.scope != ApiKey.Scope.WRITE:
                self.message = "This API key is read-only."
                return False
            return role_allows(Role.ADMIN, needed)
        membership = getattr(request, "membership", None)
        if membership is None:
            self.message = "You are not a member of any merchant."
            return False
        return role_allows(membership.role, needed)
