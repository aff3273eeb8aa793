"""Writes for accounts: merchants, members, API keys. Views and admin call these."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ApiKey, Membership, Merchant, User
from .roles import Role

API_KEY_PREFIX = "lsk"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    plaintext: str  # shown once, never stored


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:60] or "merchant"
    slug = base
    while Merchant.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


@transaction.atomic
def sign_up_merchant(
    *, merchant_name: str, email: str, password: str, full_name: str = "", language: str = "en"
) -> Membership:
    """Create a merchant, its owner and the owner's membership; the welcome email goes after commit."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this email address already exists.")})
    user = User(email=email, full_name=full_name, language=language)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    merchant = Merchant.objects.create(name=merchant_name, slug=_unique_slug(merchant_name), default_language=language)
    membership = Membership.objects.create(user=user, merchant=merchant, role=Role.OWNER)

    from .tasks import send_welcome_email_task

    transaction.on_commit(lambda: send_welcome_email_task.delay(user.id))
    return membership


def update_merchant_settings(
    *, merchant: Merchant, name: str, default_language: str, default_time_zone: str
) -> Merchant:
    merchant.name = name
    merchant.default_language = default_language
    merchant.default_time_zone = default_time_zone
    merchant.full_clean(exclude=["slug"])
    merchant.save(update_fields=["name", "default_language", "default_time_zone"])
    return merchant


def pause_merchant(*, merchant: Merchant, reason: str) -> None:
    """Emergency stop for one merchant: dispatch checks status before every send."""
    Merchant.objects.filter(pk=merchant.pk).update(
        status=Merchant.Status.PAUSED, paused_reason=reason[:300], paused_at=timezone.now()
    )


def unpause_merchant(*, merchant: Merchant) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(status=Merchant.Status.ACTIVE, paused_reason="", paused_at=None)


def set_user_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


# --- members ---------------------------------------------------------------------


@transaction.atomic
def add_member(*, merchant: Merchant, email: str, role: str, invited_by: User) -> Membership:
    """Add a person by email; someone new gets an account with no password and a link to set one."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email=email)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, merchant=merchant, role=role)
    except IntegrityError:
        raise ValidationError({"email": _("This person is already a member.")}) from None

    from .tasks import send_member_invitation_task

    transaction.on_commit(lambda: send_member_invitation_task.delay(membership.id, created))
    return membership


def _owner_count(merchant: Merchant) -> int:
    return Membership.objects.filter(merchant=merchant, role=Role.OWNER).count()


@transaction.atomic
def change_member_role(*, membership: Membership, role: str) -> Membership:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.OWNER and role != Role.OWNER:
        list(Membership.objects.select_for_update().filter(merchant_id=locked.merchant_id, role=Role.OWNER))
        if _owner_count(locked.merchant) <= 1:
            raise ValidationError(_("A merchant must keep at least one owner."))
    locked.role = role
    locked.save(update_fields=["role"])
    return locked


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.OWNER:
        list(Membership.objects.select_for_update().filter(merchant_id=locked.merchant_id, role=Role.OWNER))
        if _owner_count(locked.merchant) <= 1:
            raise ValidationError(_("A merchant must keep at least one owner."))
    locked.delete()


# --- API keys ------------------------------------------------------------------------


def hash_api_key(plaintext: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (no stretching needed).
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_api_key(*, merchant: Merchant, name: str, scope: str, created_by: User | None) -> NewApiKey:
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    api_key = ApiKey.objects.create(
        merchant=merchant,
        name=name,
        prefix=prefix,
        secret_hash=hash_api_key(plaintext),
        scope=scope,
        created_by=created_by,
    )
    return NewApiKey(api_key=api_key, plaintext=plaintext)


def revoke_api_key(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate_api_key(plaintext: str) -> ApiKey | None:
    """The active key matching `plaintext`, or None. Constant-time comparison of the hash."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    api_key = ApiKey.objects.select_related("merchant").filter(prefix=parts[1]).first()
    if api_key is None:
        hmac.compare_digest(hash_api_key(plaintext), "0" * 64)  # same work either way
        return None
    if not hmac.compare_digest(api_key.secret_hash, hash_api_key(plaintext)):
        return None
    if api_key.revoked_at is not None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
