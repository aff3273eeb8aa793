"""Encrypted model fields: AES-GCM, keys from FIELD_ENCRYPTION_KEYS.

A value is bound to its row's owner (the merchant id by default), its model
and its field as associated data, so a ciphertext copied into another
merchant's row, another model or another column fails to decrypt instead of
leaking. The first key encrypts; every key decrypts, so keys can be rotated
with `manage.py rotate_encryption_keys` while the old key is still listed.

Stored form: ``lse1.<key id>.<base64url(nonce || ciphertext || tag)>``.

Values are written only through ``save()`` / ``create()`` / ``bulk_create()``
(which know the row's owner); ``QuerySet.update()`` with a plain value is
refused so nothing is ever stored in clear by accident.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_PREFIX = "lse1"  # noqa: S105  (a format marker, not a secret)


class DecryptionError(Exception):
    """The value was not encrypted for this row, or its key is no longer configured."""


class Ciphertext(str):
    """A value as stored in the database (never plaintext)."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def parse_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii") + b"==")
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a value that is not base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured("each FIELD_ENCRYPTION_KEYS entry must be 32 bytes (base64url)")
    return key


class Keyring:
    def __init__(self, keys: list[str] | tuple[str, ...]):
        if not keys:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty; run `manage.py generate_encryption_key`")
        parsed = [parse_key(k) for k in keys]
        self.primary = parsed[0]
        self.primary_id = _key_id(self.primary)
        self.by_id = {_key_id(k): AESGCM(k) for k in parsed}

    def encrypt(self, plaintext: bytes, aad: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self.by_id[self.primary_id].encrypt(nonce, plaintext, aad)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{TOKEN_PREFIX}.{self.primary_id}.{body}"

    def decrypt(self, token: str, aad: bytes) -> bytes:
        try:
            prefix, key_id, body = token.split(".", 2)
        except ValueError as exc:
            raise DecryptionError("not an encrypted value") from exc
        if prefix != TOKEN_PREFIX:
            raise DecryptionError("not an encrypted value")
        aead = self.by_id.get(key_id)
        if aead is None:
            raise DecryptionError(f"key {key_id} is not in FIELD_ENCRYPTION_KEYS")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return aead.decrypt(raw[:12], raw[12:], aad)
        except InvalidTag as exc:
            raise DecryptionError("ciphertext does not belong to this row or was altered") from exc

    def needs_rotation(self, token: str) -> bool:
        parts = token.split(".", 2)
        return len(parts) == 3 and parts[1] != self.primary_id


@lru_cache(maxsize=4)
def _keyring_for(keys: tuple[str, ...]) -> Keyring:
    return Keyring(keys)


def get_keyring() -> Keyring:
    return _keyring_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


class _EncryptedAttribute:
    """Descriptor: the instance keeps the stored token and decrypts it on first read."""

    def __init__(self, field: EncryptedTextField):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        raw = instance.__dict__.get(self.field.attname)
        if isinstance(raw, Ciphertext):
            plain = self.field.decrypt_for(instance, raw)
            instance.__dict__[self.field.attname] = plain
            instance.__dict__[self.field.cache_name] = (raw, plain)
            return plain
        return raw

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text secret (token, password, private key) encrypted at rest."""

    def __init__(self, *args, scope_attr: str = "merchant_id", **kwargs):
        self.scope_attr = scope_attr
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.scope_attr != "merchant_id":
            kwargs["scope_attr"] = self.scope_attr
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.cache_name = f"_{self.attname}_sealed"
        setattr(cls, self.attname, _EncryptedAttribute(self))

    # -- (de)serialisation of the plaintext -----------------------------------
    def to_plain_bytes(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def from_plain_bytes(self, data: bytes) -> Any:
        return data.decode("utf-8")

    def is_empty(self, value: Any) -> bool:
        return value in (None, "")

    # -- binding ---------------------------------------------------------------
    def associated_data(self, scope_value: Any) -> bytes:
        return f"linkstar|{scope_value}|{self.model._meta.label_lower}|{self.name}".encode()

    def scope_of(self, instance) -> Any:
        scope = getattr(instance, self.scope_attr, None)
        if scope is None:
            raise ValueError(
                f"{self.model._meta.label}.{self.name} needs {self.scope_attr} set before it can be encrypted"
            )
        return scope

    def decrypt_for(self, instance, token: str) -> Any:
        aad = self.associated_data(self.scope_of(instance))
        return self.from_plain_bytes(get_keyring().decrypt(token, aad))

    def seal(self, scope_value: Any, value: Any) -> Ciphertext:
        return Ciphertext(get_keyring().encrypt(self.to_plain_bytes(value), self.associated_data(scope_value)))

    # -- Django hooks ------------------------------------------------------------
    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return self.get_default() if value == "" else value
        return Ciphertext(value)

    def pre_save(self, model_instance, add):
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, Ciphertext) or raw is None:
            return raw
        if self.is_empty(raw):
            return ""
        sealed = model_instance.__dict__.get(self.cache_name)
        keyring = get_keyring()
        if sealed and sealed[1] == raw and not keyring.needs_rotation(sealed[0]):
            return sealed[0]
        token = self.seal(self.scope_of(model_instance), raw)
        model_instance.__dict__[self.cache_name] = (token, raw)
        return token

    def get_prep_value(self, value):
        if value is None or isinstance(value, Ciphertext) or value == "":
            return None if value is None else str(value)
        raise ValueError(
            "Encrypted fields are written through save()/create()/bulk_create(), never with update() or used in filters"
        )

    def value_to_string(self, obj):
        # Fixtures and serializers never carry the secret.
        return ""

    def formfield(self, **kwargs):
        from django import forms

        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        return super().formfield(**kwargs)


class EncryptedJSONField(EncryptedTextField):
    """A JSON document of secrets (e.g. a provider's credential set) encrypted at rest."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def to_plain_bytes(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def from_plain_bytes(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))

    def is_empty(self, value: Any) -> bool:
        return value is None

    def pre_save(self, model_instance, add):
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, Ciphertext) or raw is None:
            return raw
        sealed = model_instance.__dict__.get(self.cache_name)
        keyring = get_keyring()
        if sealed and sealed[1] == raw and not keyring.needs_rotation(sealed[0]):
            return sealed[0]
        token = self.seal(self.scope_of(model_instance), raw)
        model_instance.__dict__[self.cache_name] = (token, json.loads(json.dumps(raw)))
        return token


def encrypted_fields() -> list[EncryptedTextField]:
    from django.apps import apps

    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate_field(field: EncryptedTextField, *, batch_size: int = 500, start_after: int | None = None):
    """Re-encrypt every value of one field under the primary key, a batch at a time.

    Yields (last primary key done, rows changed) after each batch. Each row is
    rewritten with a conditional update on its old token, so a concurrent write
    wins and a stopped run resumes by simply running again.
    """
    keyring = get_keyring()
    model = field.model
    manager = model._base_manager
    scope_column = field.scope_attr
    last = start_after
    while True:
        rows = manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        batch = list(rows.values_list("pk", scope_column, field.attname)[:batch_size])
        if not batch:
            return
        changed = 0
        for pk, scope, token in batch:
            if not token or not keyring.needs_rotation(token):
                continue
            plain = keyring.decrypt(token, field.associated_data(scope))
            new = Ciphertext(keyring.encrypt(plain, field.associated_data(scope)))
            changed += manager.filter(pk=pk, **{field.attname: Ciphertext(token)}).update(**{field.attname: new})
        last = batch[-1][0]
        yield last, changed
