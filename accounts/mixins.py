"""The base of every merchant page: signed in, a member, the right role, rows scoped to the merchant."""

from functools import wraps

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from .roles import Role, role_allows


def _gate(request, required_role):
    """None when the request may go on, else the response to send."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.membership is None:
        return render(request, "accounts/no_merchant.html", status=403)
    if not role_allows(request.membership.role, required_role):
        raise PermissionDenied
    return None


class MerchantPageMixin(LoginRequiredMixin):
    """Class-based pages: set `required_role`; use `self.merchant`, `self.scoped(Model)`."""

    required_role = Role.VIEWER

    def dispatch(self, request, *args, **kwargs):
        refusal = _gate(request, self.required_role)
        if refusal is not None:
            return refusal
        self.merchant = request.merchant
        self.membership = request.membership
        return super().dispatch(request, *args, **kwargs)

    def scoped(self, model_or_queryset):
        queryset = getattr(model_or_queryset, "objects", model_or_queryset)
        return queryset.all().for_merchant(self.merchant)

    def get_scoped_object_or_404(self, model_or_queryset, **lookup):
        return get_object_or_404(self.scoped(model_or_queryset), **lookup)


def merchant_required(role: str = Role.VIEWER):
    """Function pages: the same gate as MerchantPageMixin."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refusal = _gate(request, role)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def scoped_object_or_404(request, model_or_queryset, **lookup):
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    return get_object_or_404(queryset.all().for_merchant(request.merchant), **lookup)
