"""Writes of the buyers' side: link clicks and opens, the help page's tickets, the satisfaction check, and
the merchant's work on a ticket (status, notes, email reply).

    record_review_click(*, message_ref) -> Message | None
    record_open(*, message_ref) -> bool
    open_ticket(*, order, reason, text="", photo=None, source, message=None, language="") -> (ticket, created)
    answer_satisfaction(*, order, message, answer) -> SatisfactionAnswer
    set_ticket_status(*, ticket, status, user) -> ServiceRecoveryTicket
    add_ticket_note(*, ticket, text, user) -> TicketEntry
    reply_to_buyer(*, ticket, subject, text, user) -> TicketEntry

No review gating: nothing here touches a `Message`'s status, its `send_at` or planning. A satisfaction
answer is stored and may open a ticket; who is invited and when stays exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    TICKET_TRANSITIONS,
    Message,
    Satisfaction,
    SatisfactionAnswer,
    ServiceRecoveryTicket,
    TicketEntry,
    TicketReason,
    TicketSource,
    TicketStatus,
)

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTO_MAX_PIXELS = 40_000_000
MAX_TICKETS_PER_ORDER = 5  # within the ticket window, whatever the reason


# --- clicks and opens -----------------------------------------------------------------------------------


def record_review_click(*, message_ref: str) -> Message | None:
    """The buyer opened the review link: the first click's time is kept, later clicks only counted.
    A `clicked` delivery event is recorded once per message (channels), so reports see it like the others."""
    from channels import services as channels

    message = (
        Message.objects.filter(message_ref=message_ref).select_related("campaign", "order", "order__store").first()
    )
    if message is None:
        return None
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(click_count=F("click_count") + 1)
    if Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now):
        message.clicked_at = now
        channels.record_tracking_event(
            merchant_id=message.merchant_id, message_ref=message.ref, event_type="clicked", occurred_at=now
        )
    return message


def record_open(*, message_ref: str) -> bool:
    """The open pixel was loaded: the first open is stamped and recorded as an `opened` event (once)."""
    from channels import services as channels

    message = Message.objects.filter(message_ref=message_ref).only("pk", "merchant_id", "message_ref").first()
    if message is None:
        return False
    now = timezone.now()
    if Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now):
        channels.record_tracking_event(
            merchant_id=message.merchant_id, message_ref=message.ref, event_type="opened", occurred_at=now
        )
        return True
    return False


# --- the help page ----------------------------------------------------------------------------------------


def clean_photo(upload) -> ContentFile:
    """A buyer's photo, checked with Pillow and re-encoded (which also drops its EXIF data, GPS included).

    Raises ValidationError with a message for the buyer: too large, not an image, an unsupported format.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    limit = int(getattr(settings, "REVIEWS_PHOTO_MAX_BYTES", 5 * 1024 * 1024))
    if upload.size > limit:
        raise ValidationError(_("The photo is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)})
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in PHOTO_FORMATS:
            raise ValidationError(_("Send a JPEG, PNG or WebP photo."))
        if width * height > PHOTO_MAX_PIXELS:
            raise ValidationError(_("The photo has too many pixels."))
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == "PNG":
                image.save(out, format="PNG", optimize=True)
            elif kind == "WEBP":
                image.save(out, format="WEBP", quality=85)
            else:
                image.convert("RGB").save(out, format="JPEG", quality=85)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a photo we can read.")) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{PHOTO_FORMATS[kind]}")


def _window() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "REVIEWS_TICKET_WINDOW_HOURS", 24)))


def open_ticket(
    *,
    order,
    reason: str,
    source: str,
    text: str = "",
    photo: ContentFile | None = None,
    message: Message | None = None,
    language: str = "",
) -> tuple[ServiceRecoveryTicket, bool]:
    """A ticket for the merchant; (ticket, created). Anti-abuse: while an unresolved ticket for the same
    order and reason is younger than the window, that ticket is returned instead of a new one; at most
    MAX_TICKETS_PER_ORDER new tickets per order within the window (ValidationError beyond)."""
    if reason not in TicketReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    if source not in TicketSource.values:
        raise ValidationError({"source": "unknown source"})
    if message is not None and (message.order_id != order.pk or message.merchant_id != order.merchant_id):
        raise ValidationError("the message belongs to another order")
    since = timezone.now() - _window()
    with transaction.atomic():
        # one order's tickets are opened one at a time (a double click posts twice)
        type(order).objects.select_for_update().filter(pk=order.pk).first()
        recent = ServiceRecoveryTicket.objects.filter(order_id=order.pk, created_at__gte=since)
        same = recent.filter(reason=reason).unresolved().order_by("-created_at").first()
        if same is not None:
            return same, False
        if recent.count() >= MAX_TICKETS_PER_ORDER:
            raise ValidationError(_("We already received several requests for this order; the seller will answer."))
        ticket = ServiceRecoveryTicket(
            merchant_id=order.merchant_id,
            order=order,
            message=message,
            reason=reason,
            text=(text or "").strip()[:4000],
            source=source,
            language=language[:10],
        )
        if photo is not None:
            ticket.photo.save(f"{order.merchant_id}/{photo.name}", photo, save=False)
        ticket.save()
    return ticket, True


def answer_satisfaction(*, order, message: Message | None, answer: str) -> SatisfactionAnswer:
    """Store the buyer's answer (the latest counts). Unhappy opens a ticket. Nothing else changes: the
    answer is never read by planning or dispatch."""
    if answer not in Satisfaction.values:
        raise ValidationError({"answer": _("Choose an answer.")})
    now = timezone.now()
    row, _created = SatisfactionAnswer.objects.update_or_create(
        order=order,
        defaults={"merchant_id": order.merchant_id, "message": message, "answer": answer, "answered_at": now},
    )
    if answer == Satisfaction.UNHAPPY:
        buyer = order.buyer
        open_ticket(
            order=order,
            reason=TicketReason.UNHAPPY,
            source=TicketSource.SATISFACTION,
            message=message,
            language=(buyer.language if buyer else "") or order.store.default_language,
        )
    return row


# --- the merchant's inbox -----------------------------------------------------------------------------------


@transaction.atomic
def set_ticket_status(*, ticket: ServiceRecoveryTicket, status: str, user) -> ServiceRecoveryTicket:
    ticket = ServiceRecoveryTicket.objects.select_for_update().get(pk=ticket.pk)
    if status not in TICKET_TRANSITIONS.get(ticket.status, frozenset()):
        raise ValidationError(
            _("A ticket that is %(current)s cannot become %(target)s.")
            % {"current": ticket.get_status_display(), "target": TicketStatus(status).label}
            if status in TicketStatus.values
            else _("Unknown status.")
        )
    previous = ticket.status
    ticket.status = status
    ticket.resolved_at = timezone.now() if status == TicketStatus.RESOLVED else None
    ticket.save(update_fields=["status", "resolved_at", "updated_at"])
    TicketEntry.objects.create(
        merchant_id=ticket.merchant_id,
        ticket=ticket,
        kind=TicketEntry.Kind.STATUS,
        status_from=previous,
        status_to=status,
        author=user,
    )
    return ticket


def add_ticket_note(*, ticket: ServiceRecoveryTicket, text: str, user) -> TicketEntry:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a note.")})
    return TicketEntry.objects.create(
        merchant_id=ticket.merchant_id, ticket=ticket, kind=TicketEntry.Kind.NOTE, text=text[:4000], author=user
    )


def reply_account(merchant):
    """The merchant's email account for replies: a real email account before the outbox."""
    from channels.selectors import usable_accounts

    accounts = list(usable_accounts(merchant=merchant, channel="email"))
    accounts.sort(key=lambda a: (a.kind == "outbox", a.status != "active", a.name))
    return accounts[0] if accounts else None


def reply_to_buyer(*, ticket: ServiceRecoveryTicket, subject: str, text: str, user) -> TicketEntry:
    """Email the buyer through the merchant's email channel account; the reply is kept on the ticket.

    Raises ValidationError (nothing recorded) when the merchant has no email account, the buyer has no
    address we may email (Amazon buyers: only through Amazon), or the provider refuses the message.
    """
    from channels import services as channels
    from channels.senders import OutboundMessage

    subject, text = (subject or "").strip(), (text or "").strip()
    if not subject or not text:
        raise ValidationError(_("Write a subject and a message."))
    merchant = ticket.merchant
    account = reply_account(merchant)
    if account is None:
        raise ValidationError(_("You have no email channel account to reply from. Add one under Channels first."))
    buyer = ticket.order.buyer
    if buyer is None or not buyer.can_be_emailed:
        raise ValidationError(
            _("This buyer has no email address Linkstar may write to (Amazon buyers are reached only through Amazon).")
        )
    ref = str(uuid.uuid4())
    outbound = OutboundMessage(
        merchant_id=merchant.pk,
        message_ref=ref,
        channel="email",
        to=buyer.email,
        subject=subject[:200],
        text_body=text,
        metadata={"ticket": str(ticket.pk)},
        language=buyer.language or ticket.order.store.default_language or "en",
        message_class="transactional",
    )
    result = channels.send_message(account=account, message=outbound)  # outside any transaction
    if not result.accepted and result.outcome != "unknown":
        raise ValidationError(
            _("The email could not be sent: %(detail)s") % {"detail": result.detail or result.error_code}
        )
    return TicketEntry.objects.create(
        merchant_id=ticket.merchant_id,
        ticket=ticket,
        kind=TicketEntry.Kind.REPLY,
        subject=subject[:200],
        text=text,
        message_ref=ref,
        outcome=result.outcome,
        author=user,
    )


# --- privacy -------------------------------------------------------------------------------------------------


def erase_buyer_feedback(buyer) -> int:
    """Erasure (orders' hook, inside its transaction): the buyer's words and photos on tickets are blanked, and
    our replies to them too; the photo files go once the erasure commits. Returns the tickets touched."""
    from django.core.files.storage import default_storage

    tickets = ServiceRecoveryTicket.objects.filter(merchant_id=buyer.merchant_id, order__buyer_id=buyer.pk)
    ids = list(tickets.values_list("pk", flat=True))
    photos = [name for name in tickets.exclude(photo="").values_list("photo", flat=True) if name]
    ServiceRecoveryTicket.objects.filter(pk__in=ids).update(text="", photo="", updated_at=timezone.now())
    TicketEntry.objects.filter(ticket_id__in=ids, kind=TicketEntry.Kind.REPLY).update(text="")

    def delete_files() -> None:
        for name in photos:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
    return len(ids)


def export_buyer_feedback(buyer) -> dict:
    """The buyer's tickets and satisfaction answers, for the privacy export."""
    tickets = ServiceRecoveryTicket.objects.filter(merchant_id=buyer.merchant_id, order__buyer_id=buyer.pk)
    answers = SatisfactionAnswer.objects.filter(merchant_id=buyer.merchant_id, order__buyer_id=buyer.pk)
    return {
        "tickets": [
            {"reason": t.reason, "text": t.text, "status": t.status, "source": t.source,
             "created_at": t.created_at.isoformat(), "has_photo": bool(t.photo)}
            for t in tickets.order_by("created_at", "pk")
        ],
        "satisfaction_answers": [
            {"answer": a.answer, "answered_at": a.answered_at.isoformat()} for a in answers.order_by("answered_at")
        ],
    }  # fmt: skip
