"""Merchant pages of accounts: sign-up, dashboard, settings, members, API keys, language."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linkstar.navigation import dashboard_panels

from . import selectors, services
from .forms import (
    AddMemberForm,
    ApiKeyForm,
    LanguageForm,
    LoginForm,
    MemberRoleForm,
    MerchantSettingsForm,
    SignUpForm,
)
from .middleware import SESSION_KEY
from .mixins import merchant_required, scoped_object_or_404
from .models import ApiKey, Membership
from .roles import Role


def _form_errors_from(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def signup(request):
    if request.user.is_authenticated and request.membership is not None:
        return redirect("accounts:dashboard")
    form = SignUpForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.sign_up_merchant(**form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = membership.merchant_id
            messages.success(request, _("Welcome to Linkstar, %(name)s.") % {"name": membership.merchant.name})
            return redirect("accounts:dashboard")
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@merchant_required()
def dashboard(request):
    return render(request, "accounts/dashboard.html", {"panels": dashboard_panels(request)})


@require_POST
@merchant_required()
def switch_merchant(request):
    wanted = request.POST.get("merchant_id", "")
    membership = selectors.memberships_of(request.user).filter(merchant_id=wanted if wanted.isdigit() else 0).first()
    if membership is None:
        messages.error(request, _("You are not a member of that merchant."))
    else:
        request.session[SESSION_KEY] = membership.merchant_id
    return redirect("accounts:dashboard")


@require_POST
def set_language(request):
    """Remember the chosen language: on the user when signed in, in a cookie always."""
    from django.conf import settings

    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.set_user_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
            httponly=True,
        )
    return response


@merchant_required(Role.ADMIN)
def merchant_settings(request):
    merchant = request.merchant
    initial = {
        "name": merchant.name,
        "default_language": merchant.default_language,
        "default_time_zone": merchant.default_time_zone,
    }
    form = MerchantSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_merchant_settings(merchant=merchant, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"form": form})


@merchant_required(Role.OWNER)
def members(request):
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_member(merchant=request.merchant, invited_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(exc, form)
        else:
            messages.success(request, _("%(email)s was added.") % {"email": form.cleaned_data["email"]})
            return redirect("accounts:members")
    rows = [
        (m, MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.pk}")) for m in selectors.members_of(request.merchant)
    ]
    return render(request, "accounts/members.html", {"form": form, "rows": rows})


@require_POST
@merchant_required(Role.OWNER)
def member_role(request, pk: int):
    membership = scoped_object_or_404(request, Membership, pk=pk)
    form = MemberRoleForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        try:
            services.change_member_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, _("Role changed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("accounts:members")


@require_POST
@merchant_required(Role.OWNER)
def member_remove(request, pk: int):
    membership = scoped_object_or_404(request, Membership, pk=pk)
    try:
        services.remove_member(membership=membership)
        messages.success(request, _("Member removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:members")


@merchant_required(Role.OWNER)
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        new_key = services.create_api_key(merchant=request.merchant, created_by=request.user, **form.cleaned_data)
        form = ApiKeyForm()
    keys = selectors.api_keys_of(request.merchant)
    return render(request, "accounts/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@require_POST
@merchant_required(Role.OWNER)
def api_key_revoke(request, pk: int):
    api_key = scoped_object_or_404(request, ApiKey, pk=pk)
    services.revoke_api_key(api_key=api_key)
    messages.success(request, _("API key %(key)s was revoked.") % {"key": api_key.display})
    return redirect("accounts:api_keys")


password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html", success_url=reverse_lazy("accounts:password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


def home(request):
    if request.user.is_authenticated:
        return redirect(reverse("accounts:dashboard"))
    return redirect(reverse("accounts:login"))
