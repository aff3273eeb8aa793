"""Writes of the inserts app: card settings, sheets of cards, scans.

create_card_batch(*, merchant, user, order_ids=None, order_refs=None, store=None, copies=1, language="")
render_batch_pdf(*, batch) -> bytes
record_scan(*, token, user_agent="") -> (card, target url) | None
save_card_settings(*, merchant, postal_address, help_url, review_url, logo=None, remove_logo=False)
"""

from __future__ import annotations

import io
import secrets
import uuid

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from orders.models import Order, Store
from templates_review import selectors as template_selectors
from templates_review import services as template_services
from templates_review.linting import lint

from . import hooks
from .models import CardBatch, CardScan, CardSettings, InsertCard
from .pdf import CardFace, render_sheet
from .texts import DEFAULT_TEXTS, card_language

SIGNER_SALT = "inserts.card"
TEMPLATE_PURPOSES = ("delivery_followup", "review_request", "transactional", "service_recovery")
LOGO_MAX_PIXELS = 600


def _signer() -> signing.Signer:
    return signing.Signer(salt=SIGNER_SALT)


def new_token() -> str:
    """A signed random token: 96 random bits, and a signature that lets a guess be refused unread."""
    return _signer().sign(secrets.token_urlsafe(12))


def card_from_token(token: str) -> InsertCard | None:
    try:
        _signer().unsign(token)
    except signing.BadSignature:
        return None
    return InsertCard.objects.select_related("batch", "merchant").filter(token=token).first()


def scan_url(card: InsertCard) -> str:
    return settings.PUBLIC_BASE_URL + reverse("inserts:scan", kwargs={"token": card.token})


def settings_of(merchant) -> CardSettings:
    return CardSettings.objects.filter(merchant=merchant).first() or CardSettings(merchant=merchant)


# -- settings ---------------------------------------------------------------------------------------
def clean_logo(data: bytes) -> bytes:
    """The uploaded logo checked by Pillow, shrunk to at most 600 px and re-encoded as PNG (no metadata)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > settings.INSERT_CARDS_LOGO_MAX_BYTES:
        raise ValidationError(
            {"logo": _("The logo is larger than %(n)d KB.") % {"n": settings.INSERT_CARDS_LOGO_MAX_BYTES // 1024}}
        )
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > 40_000_000:
            raise ValidationError({"logo": _("The logo has too many pixels.")})
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError({"logo": _("Upload a PNG or JPEG image.")}) from None
    if image.format not in ("PNG", "JPEG", "GIF", "WEBP"):
        raise ValidationError({"logo": _("Upload a PNG or JPEG image.")})
    image = image.convert("RGBA")
    image.thumbnail((LOGO_MAX_PIXELS, LOGO_MAX_PIXELS))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def save_card_settings(
    *,
    merchant,
    postal_address: str,
    help_url: str,
    review_url: str,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> CardSettings:
    row = settings_of(merchant)
    row.postal_address = postal_address.strip()
    row.help_url = help_url.strip()
    row.review_url = review_url.strip()
    if logo:
        row.logo = clean_logo(logo)
    elif remove_logo:
        row.logo = None
    row.full_clean(exclude=["merchant", "logo"])
    row.save()
    return row


# -- card text ----------------------------------------------------------------------------------------
def approved_print_version(merchant, language: str):
    """The merchant's approved "print" template in this language (by purpose preference), or None."""
    for purpose in TEMPLATE_PURPOSES:
        version = template_selectors.approved_version_for(
            merchant=merchant, purpose=purpose, channel="print", locale=language, fallback_locale=None
        )
        if version is not None:
            return version
    return None


def _template_text(merchant, version, order: Order | None) -> tuple[str, str] | None:
    """The approved template rendered for this card; None when it cannot be (e.g. it names the buyer on a
    store-wide card), so the default text is used."""
    store = order.store if order else None
    context = {"store": {"name": store.name if store else merchant.name, "postal_address": ""}}
    if order is not None:
        buyer = order.buyer
        context["order"] = {
            "number": order.display_number,
            "items": [{"title": i.title, "sku": i.sku, "quantity": i.quantity} for i in order.items.all()],
        }
        context["buyer"] = {
            "first_name": buyer.first_name if buyer else "",
            "last_name": buyer.last_name if buyer else "",
            "name": buyer.name if buyer else "",
        }
    try:
        rendered = template_services.render_for_send(version=version, context=context)
    except template_services.RenderError:
        return None
    return rendered.subject, rendered.text


def card_text(merchant, language: str, order: Order | None, version=None) -> tuple[str, str]:
    """(headline, text) of one card, checked by the linter's "print" profile (no incentive wording)."""
    found = _template_text(merchant, version, order) if version is not None else None
    headline, text = found or (DEFAULT_TEXTS[language]["headline"], DEFAULT_TEXTS[language]["text"])
    result = lint(channel="print", subject=headline, body_text=text, locale=language, purpose="delivery_followup")
    if result.blocking:
        rules = ", ".join(sorted({f.rule for f in result.findings if f.severity == "block"}))
        message = _("The card text breaks the rules (%(rules)s); fix the print template.") % {"rules": rules}
        raise ValidationError(message)
    return headline, text


# -- sheets -----------------------------------------------------------------------------------------
def _orders_for(merchant, order_ids, order_refs) -> list[Order]:
    rows = Order.objects.for_merchant(merchant).select_related("buyer", "store").prefetch_related("items")
    found: list[Order] = []
    missing: list[str] = []
    if order_ids:
        ids = [int(i) for i in order_ids]
        by_id = {o.pk: o for o in rows.filter(pk__in=ids)}
        found += [by_id[i] for i in ids if i in by_id]
        missing += [str(i) for i in ids if i not in by_id]
    refs = [ref.strip() for ref in order_refs or [] if ref.strip()]
    if refs:
        # One query for every reference: order numbers with or without "#", or platform order ids.
        variants = {v for ref in refs for v in (ref, f"#{ref.lstrip('#')}", ref.lstrip("#"))}
        candidates = list(rows.filter(Q(number__in=variants) | Q(external_id__in=refs)).order_by("pk"))
        by_number = {}
        for order in candidates:
            by_number.setdefault(order.number, order)
        by_external = {o.external_id: o for o in candidates}
        for ref in refs:
            order = next(
                (by_number[v] for v in (ref, f"#{ref.lstrip('#')}", ref.lstrip("#")) if v in by_number),
                by_external.get(ref),
            )
            if order is None:
                missing.append(ref)
            elif order not in found:
                found.append(order)
    if missing:
        raise ValidationError({"orders": _("Unknown orders: %(refs)s") % {"refs": ", ".join(missing[:20])}})
    return found


def create_card_batch(
    *,
    merchant,
    user=None,
    order_ids: list[int] | None = None,
    order_refs: list[str] | None = None,
    store: Store | None = None,
    copies: int = 1,
    language: str = "",
) -> CardBatch:
    """A sheet of cards, one per order (in the buyer's language unless `language` is given), or `copies`
    store-wide cards. Every card gets its own signed token and message reference. Raises ValidationError
    for unknown orders (another merchant's count as unknown), a bad size, or card text the linter blocks."""
    limit = settings.INSERT_CARDS_MAX_PER_SHEET
    language = card_language(language) if language else ""
    if order_ids or order_refs:
        orders = _orders_for(merchant, order_ids, order_refs)
        kind = CardBatch.Kind.ORDERS
        if not orders:
            raise ValidationError({"orders": _("Name at least one order.")})
        stores = {o.store_id for o in orders}
        store = orders[0].store if len(stores) == 1 else None  # the sheet's store, when there is one
    else:
        if store is not None and store.merchant_id != merchant.pk:
            raise ValidationError({"store": _("Unknown store.")})
        if not 1 <= copies <= limit:
            raise ValidationError({"copies": _("Between 1 and %(n)d cards.") % {"n": limit}})
        orders = [None] * copies
        kind = CardBatch.Kind.STORE
    if len(orders) > limit:
        raise ValidationError({"orders": _("At most %(n)d cards per sheet.") % {"n": limit}})
    texts: dict[tuple, tuple[str, str]] = {}
    versions: dict[str, object] = {}
    cards = []
    for position, order in enumerate(orders):
        lang = language or card_language(
            (order.buyer.language if order and order.buyer else "")
            or (order.store.default_language if order else (store.default_language if store else ""))
            or merchant.default_language
        )
        if lang not in versions:
            versions[lang] = approved_print_version(merchant, lang)
        # The default text is the same for every card of a language; a template may name the order.
        key = (lang, order.pk if order and versions[lang] is not None else None)
        if key not in texts:
            texts[key] = card_text(merchant, lang, order, versions[lang])
        headline, text = texts[key]
        cards.append(
            InsertCard(
                merchant=merchant,
                position=position,
                token=new_token(),
                order=order,
                language=lang,
                headline=headline,
                text=text,
                message_ref=str(uuid.uuid4()),
            )
        )
    with transaction.atomic():
        batch = CardBatch.objects.create(
            merchant=merchant, kind=kind, store=store, language=language, card_count=len(cards), created_by=user
        )
        for card in cards:
            card.batch = batch
        InsertCard.objects.bulk_create(cards)
    return batch


def render_batch_pdf(*, batch: CardBatch) -> bytes:
    card_settings = settings_of(batch.merchant)
    faces = []
    for card in batch.cards.select_related("order__store").order_by("position"):
        words = DEFAULT_TEXTS[card.language]
        store_name = card.order.store.name if card.order else (batch.store.name if batch.store else batch.merchant.name)
        address = card_settings.postal_address or (card.order.store.postal_address if card.order else "")
        faces.append(
            CardFace(
                url=scan_url(card),
                language=card.language,
                store_name=store_name,
                headline=card.headline,
                text=card.text,
                scan_label=words["scan"],
                order_label=f"{words['order']} {card.order.display_number}" if card.order else "",
                postal_address=address,
            )
        )
    return render_sheet(faces, logo=card_settings.logo, title=f"{batch.merchant.name} · {batch}")


# -- scans ------------------------------------------------------------------------------------------------
def scan_target(card: InsertCard) -> str:
    """Where this card leads: a registered hook (campaigns / insights), else the merchant's help page,
    else the neutral card page."""
    return (
        hooks.registered_target(card)
        or settings_of(card.merchant).help_url
        or reverse("inserts:landing", kwargs={"token": card.token})
    )


def record_scan(*, token: str, user_agent: str = "") -> tuple[InsertCard, str] | None:
    """Count one scan and say where to send the buyer; None for a token that is not ours."""
    card = card_from_token(token)
    if card is None:
        return None
    target = scan_target(card)
    CardScan.objects.create(merchant_id=card.merchant_id, card=card, user_agent=user_agent[:200], target=target[:500])
    return card, target
