"""Emails Linkstar itself sends to merchants' people (not to buyers)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import Membership, User


def _language_for(user: User, membership: Membership | None = None) -> str:
    if user.language:
        return user.language
    if membership is not None:
        return membership.merchant.default_language
    first = user.memberships.select_related("merchant").first()
    return first.merchant.default_language if first else settings.LANGUAGE_CODE


def send_welcome_email(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    with translation.override(_language_for(user)):
        body = render_to_string(
            "accounts/email/welcome.txt",
            {"user": user, "dashboard_url": settings.PUBLIC_BASE_URL + reverse("accounts:dashboard")},
        )
        send_mail(_("Welcome to Linkstar"), body, None, [user.email])


def send_member_invitation(*, membership_id: int, new_account: bool) -> None:
    membership = Membership.objects.select_related("user", "merchant").filter(pk=membership_id).first()
    if membership is None:
        return
    user = membership.user
    set_password_url = ""
    if new_account:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        set_password_url = settings.PUBLIC_BASE_URL + reverse(
            "accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
        )
    with translation.override(_language_for(user, membership)):
        body = render_to_string(
            "accounts/email/invitation.txt",
            {
                "membership": membership,
                "set_password_url": set_password_url,
                "login_url": settings.PUBLIC_BASE_URL + reverse("accounts:login"),
            },
        )
        send_mail(
            _("You have been added to %(merchant)s on Linkstar") % {"merchant": membership.merchant.name},
            body,
            None,
            [user.email],
        )
