"""What every email carries, whichever sender sends it.

- `List-Unsubscribe` with our one-click HTTPS URL and a `mailto:`, and
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058);
- a Message-ID on the merchant's own domain;
- our message reference in `X-Linkstar-Ref` (and in ESP metadata, see AnymailSender) so events match;
- a text part and, when given, an HTML alternative.
"""

from __future__ import annotations

from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives

from ..unsubscribe import mailto_for_token, token_for, url_for_token
from .base import OutboundMessage

REF_HEADER = "X-Linkstar-Ref"
METADATA_REF_KEY = "linkstar_ref"
PROTECTED_HEADERS = {"message-id", "list-unsubscribe", "list-unsubscribe-post", REF_HEADER.lower()}


def sender_domain(account) -> str:
    return (account.from_email or "").rpartition("@")[2] or "localhost"


def from_header(account) -> str:
    return formataddr((account.from_name, account.from_email)) if account.from_name else account.from_email


def unsubscribe_mailbox(account) -> str:
    return (account.config or {}).get("unsubscribe_mailbox") or account.reply_to or account.from_email


def list_unsubscribe_headers(account, message: OutboundMessage) -> dict[str, str]:
    token = token_for(
        merchant_id=message.merchant_id,
        message_ref=message.message_ref,
        channel=message.channel,
        address=message.to,
        language=message.language,
    )
    parts = [f"<{url_for_token(token)}>"]
    mailbox = unsubscribe_mailbox(account)
    if mailbox:
        parts.append(f"<{mailto_for_token(mailbox, token)}>")
    return {"List-Unsubscribe": ", ".join(parts), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def email_headers(account, message: OutboundMessage) -> dict[str, str]:
    headers = {k: v for k, v in message.headers.items() if k.lower() not in PROTECTED_HEADERS}
    headers["Message-ID"] = f"<{message.message_ref}@{sender_domain(account)}>"
    headers[REF_HEADER] = message.message_ref
    headers.update(list_unsubscribe_headers(account, message))
    return headers


def build_email(account, message: OutboundMessage, *, connection=None, cls=EmailMultiAlternatives):
    email = cls(
        subject=message.subject,
        body=message.text_body,
        from_email=from_header(account),
        to=[message.to],
        reply_to=[account.reply_to] if account.reply_to else None,
        headers=email_headers(account, message),
        connection=connection,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    return email
