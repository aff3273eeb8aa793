"""Buyers' push subscriptions: app device tokens (FCM) and browser subscriptions (Web Push).

The merchant's app or site registers them through the API (`POST /api/v1/buyers/{id}/push-subscriptions`).
Channels never reads this table: the campaigns app hands a subscription's values to the push sender in
the outbound message, and when the provider answers "gone" (FCM UNREGISTERED, web push 404 / 410: error
code `subscription_gone`) it calls `mark_push_subscriptions_gone` here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Buyer, PushSubscription

FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:\-.]{20,4096}$")
PLATFORMS = ("android", "ios", "web", "other")


def _b64url(value: str) -> bytes:
    value = (value or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_\-]+=*", value):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))


def endpoint_allowed(endpoint: str) -> bool:
    """A push service's https address (WEB_PUSH_ENDPOINT_REGEX); loopback only where local fakes run."""
    parts = urlsplit(endpoint or "")
    if not parts.hostname:
        return False
    try:
        loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return settings.WEB_PUSH_ALLOW_LOOPBACK and parts.scheme in ("http", "https")
    return parts.scheme == "https" and bool(re.match(settings.WEB_PUSH_ENDPOINT_REGEX, endpoint))


def _check_p256dh(value: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        raw = _b64url(value)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, binascii.Error, TypeError):
        raise ValidationError(
            {"p256dh": _("keys.p256dh must be the browser's P-256 public key (base64url).")}
        ) from None
    if len(raw) != 65:
        raise ValidationError({"p256dh": _("keys.p256dh must be the browser's P-256 public key (base64url).")})


def _check_auth(value: str) -> None:
    try:
        raw = _b64url(value)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 16:
        raise ValidationError({"auth": _("keys.auth must be the browser's 16-byte auth secret (base64url).")})


def clean_subscription(
    *, kind: str, token: str = "", endpoint: str = "", p256dh: str = "", auth: str = "", platform: str = ""
) -> dict:
    """The subscription's values checked and normalised; ValidationError naming the bad field."""
    if kind == PushSubscription.Kind.FCM:
        token = (token or "").strip()
        if not FCM_TOKEN.match(token):
            raise ValidationError({"token": _("Expected an FCM registration token.")})
        values = {"token": token, "digest": hashlib.sha256(token.encode()).hexdigest()}
    elif kind == PushSubscription.Kind.WEB_PUSH:
        endpoint = (endpoint or "").strip()
        if len(endpoint) > 2000 or not endpoint_allowed(endpoint):
            raise ValidationError({"endpoint": _("The endpoint must be the https address of a browser push service.")})
        _check_p256dh(p256dh)
        _check_auth(auth)
        values = {
            "endpoint": endpoint,
            "p256dh": p256dh.strip().rstrip("="),
            "auth": auth.strip().rstrip("="),
            "digest": hashlib.sha256(endpoint.encode()).hexdigest(),
        }
    else:
        raise ValidationError({"kind": _("Unknown kind: use fcm or web_push.")})
    if platform and platform not in PLATFORMS:
        raise ValidationError({"platform": _("Unknown platform: use android, ios, web or other.")})
    return values


def register_push_subscription(
    *,
    buyer: Buyer,
    kind: str,
    token: str = "",
    endpoint: str = "",
    p256dh: str = "",
    auth: str = "",
    platform: str = "",
    app_id: str = "",
) -> tuple[PushSubscription, bool]:
    """Store a buyer's device token or browser subscription; the same device again updates its row (and
    brings a gone one back). Returns (subscription, created). Raises ValidationError for bad values."""
    if buyer.is_erased:
        raise ValidationError(_("This buyer's personal data was erased; register the device with a new order."))
    values = clean_subscription(kind=kind, token=token, endpoint=endpoint, p256dh=p256dh, auth=auth, platform=platform)
    fields = {
        **values,
        "platform": platform or ("web" if kind == PushSubscription.Kind.WEB_PUSH else ""),
        "app_id": (app_id or "")[:200],
        "status": PushSubscription.Status.ACTIVE,
        "gone_reason": "",
        "gone_at": None,
    }
    digest = fields.pop("digest")
    try:
        with transaction.atomic():
            subscription, created = PushSubscription.objects.update_or_create(
                buyer=buyer, kind=kind, digest=digest, defaults={"merchant_id": buyer.merchant_id, **fields}
            )
    except IntegrityError:  # a concurrent registration of the same device won the insert
        subscription = PushSubscription.objects.get(buyer=buyer, kind=kind, digest=digest)
        created = False
    return subscription, created


def remove_push_subscription(*, subscription: PushSubscription) -> None:
    """The buyer's app or site says the device unsubscribed: forget it."""
    subscription.delete()


def mark_push_subscriptions_gone(*, merchant, subscription_ids: Iterable[int | str], reason: str = "") -> int:
    """The provider said these tokens / subscriptions no longer exist (channels' `subscription_gone`):
    never push to them again and drop what they held. Ids of another merchant are ignored. Returns rows."""
    ids = [int(i) for i in subscription_ids if str(i).isdigit()]
    if not ids:
        return 0
    return (
        PushSubscription.objects.for_merchant(merchant)
        .filter(pk__in=ids, status=PushSubscription.Status.ACTIVE)
        .update(
            status=PushSubscription.Status.GONE,
            gone_reason=(reason or "")[:200],
            gone_at=timezone.now(),
            token="",
            endpoint="",
            p256dh="",
            auth="",
            updated_at=timezone.now(),
        )
    )


def active_push_subscriptions(*, buyer: Buyer, kind: str | None = None):
    """The subscriptions a push may go to (newest first), for the campaigns app."""
    rows = PushSubscription.objects.filter(buyer=buyer, status=PushSubscription.Status.ACTIVE)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-updated_at", "-id")


def push_target_values(subscription: PushSubscription) -> dict:
    """Plain values for channels' `PushTarget(**values)`; orders does not import channels."""
    return {
        "kind": subscription.kind,
        "token": subscription.token,
        "endpoint": subscription.endpoint,
        "p256dh": subscription.p256dh,
        "auth": subscription.auth,
        "subscription_id": str(subscription.pk),
    }
