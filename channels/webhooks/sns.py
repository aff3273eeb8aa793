"""Amazon SNS message signatures, verified as AWS documents
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):

1. The signing certificate URL must be an SNS host over HTTPS (settings.CHANNELS_SNS_URL_REGEX).
2. The string to sign is "Key\\nValue\\n" for a fixed list of keys, in order (Subject only if present).
3. The Signature (base64) is RSA PKCS#1 v1.5 over that string: SHA1 for SignatureVersion 1, SHA256 for 2.
Certificates are cached (by URL) for a day.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

SIGNED_KEYS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
    "UnsubscribeConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}  # noqa: S303  (SNS SignatureVersion 1 is SHA1 by definition)


class SnsVerificationError(Exception):
    pass


def allowed_url(url: str) -> bool:
    return bool(re.match(settings.CHANNELS_SNS_URL_REGEX, url or ""))


def string_to_sign(message: dict) -> bytes:
    keys = SIGNED_KEYS.get(message.get("Type", ""))
    if keys is None:
        raise SnsVerificationError(f"unknown SNS message type {message.get('Type')!r}")
    parts = []
    for key in keys:
        if key == "Subject" and key not in message:
            continue
        if key not in message:
            raise SnsVerificationError(f"SNS message lacks {key}")
        parts.append(f"{key}\n{message[key]}\n")
    return "".join(parts).encode("utf-8")


def signing_certificate(url: str) -> x509.Certificate:
    if not allowed_url(url):
        raise SnsVerificationError("the signing certificate is not on an SNS host")
    key = "linkstar:sns-cert:" + url
    pem = cache.get(key)
    if pem is None:
        try:
            response = requests.get(url, timeout=5)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise SnsVerificationError(f"cannot fetch the signing certificate: {exc}") from exc
        pem = response.content
        cache.set(key, pem, 24 * 3600)
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise SnsVerificationError("the signing certificate is not a PEM certificate") from exc


def verify_sns_message(message: dict) -> None:
    """Raise SnsVerificationError unless Amazon SNS signed this message."""
    if not isinstance(message, dict):
        raise SnsVerificationError("not an SNS message")
    algorithm = HASHES.get(str(message.get("SignatureVersion", "")))
    if algorithm is None:
        raise SnsVerificationError("unsupported SignatureVersion")
    try:
        signature = base64.b64decode(message.get("Signature", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SnsVerificationError("the signature is not base64") from exc
    if not signature:
        raise SnsVerificationError("missing signature")
    certificate = signing_certificate(message.get("SigningCertURL") or message.get("SigningCertUrl") or "")
    try:
        certificate.public_key().verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature as exc:
        raise SnsVerificationError("the signature does not match") from exc


def confirm_subscription(*, account_id: int, subscribe_url: str) -> bool:
    """Confirm an SNS subscription for a verified request by visiting its SubscribeURL."""
    if not allowed_url(subscribe_url):
        logger.warning("SNS SubscribeURL for account %s is not an SNS host; not confirmed", account_id)
        return False
    try:
        response = requests.get(subscribe_url, timeout=10)
        response.raise_for_status()
    except requests.RequestException as exc:
        logger.warning("SNS subscription for account %s not confirmed: %s", account_id, exc)
        return False
    logger.info("SNS subscription confirmed for channel account %s", account_id)
    return True
