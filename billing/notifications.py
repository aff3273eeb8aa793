"""Emails billing sends to a merchant's owners (not to buyers)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import owners_of

from .models import CapAlert, Channel
from .money import display


def send_cap_alert_email(*, alert_id: int) -> None:
    """Tell every owner a cap reached 80 % or 100 %. Claimed before sending, so it goes once."""
    alert = CapAlert.objects.select_related("merchant").filter(pk=alert_id).first()
    if alert is None:
        return
    if CapAlert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()) != 1:
        return
    merchant = alert.merchant
    url = settings.PUBLIC_BASE_URL + reverse("billing:overview")
    for owner in owners_of(merchant):
        with translation.override(owner.language or merchant.default_language):
            context = {
                "alert": alert,
                "merchant": merchant,
                "channel": Channel(alert.channel).label if alert.channel in Channel.values else "",
                "limit": display(alert.limit),
                "spent": display(alert.spent),
                "url": url,
            }
            if alert.threshold >= 100:
                subject = _("%(merchant)s: a budget cap is reached, paid messages are paused") % {
                    "merchant": merchant.name
                }
            else:
                subject = _("%(merchant)s: %(threshold)s%% of a budget cap is spent") % {
                    "merchant": merchant.name,
                    "threshold": alert.threshold,
                }
            body = render_to_string("billing/email/cap_alert.txt", context)
            send_mail(subject, body, None, [owner.email])
