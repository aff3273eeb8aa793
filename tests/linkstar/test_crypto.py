"""The encrypted field, on a model that exists only for these tests."""

import base64
import io
import os

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

from linkstar.crypto import Ciphertext, DecryptionError, EncryptedJSONField, EncryptedTextField, Keyring


class Vault(models.Model):
    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE)
    token = EncryptedTextField()
    credentials = EncryptedJSONField()

    class Meta:
        app_label = "linkstar"

    def __str__(self):
        return f"vault {self.pk}"


@pytest.fixture(scope="module", autouse=True)
def _unregister_after_module():
    yield
    apps.all_models["linkstar"].pop("vault", None)
    apps.clear_cache()


@pytest.fixture
def vault_table(db):
    with connection.schema_editor() as editor:
        editor.create_model(Vault)  # rolled back with the test's transaction


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT token, credentials FROM linkstar_vault WHERE id = %s", [pk])
        return cursor.fetchone()


def test_values_round_trip_and_are_not_stored_in_clear(vault_table, alice):
    row = Vault.objects.create(merchant=alice.merchant, token="sk_live_CANARY", credentials={"api_key": "CANARY2"})
    stored_token, stored_credentials = raw_row(row.pk)
    assert "CANARY" not in stored_token and "CANARY2" not in stored_credentials
    assert stored_token.startswith("lse1.")
    fresh = Vault.objects.get(pk=row.pk)
    assert fresh.token == "sk_live_CANARY"
    assert fresh.credentials == {"api_key": "CANARY2"}


def test_saving_unchanged_values_keeps_the_ciphertext(vault_table, alice):
    row = Vault.objects.create(merchant=alice.merchant, token="abc")
    before = raw_row(row.pk)[0]
    fresh = Vault.objects.get(pk=row.pk)
    assert fresh.token == "abc"
    fresh.save()
    assert raw_row(row.pk)[0] == before


def test_ciphertext_copied_to_another_merchants_row_fails_to_decrypt(vault_table, alice, bob):
    secret = Vault.objects.create(merchant=alice.merchant, token="alice-secret")
    theirs = Vault.objects.create(merchant=bob.merchant, token="bob-secret")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE linkstar_vault SET token = (SELECT token FROM linkstar_vault WHERE id = %s) WHERE id = %s",
            [secret.pk, theirs.pk],
        )
    with pytest.raises(DecryptionError):
        _ = Vault.objects.get(pk=theirs.pk).token


def test_ciphertext_moved_to_another_column_fails_to_decrypt(vault_table, alice):
    row = Vault.objects.create(merchant=alice.merchant, token="t", credentials={"a": 1})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE linkstar_vault SET token = credentials WHERE id = %s", [row.pk])
    with pytest.raises(DecryptionError):
        _ = Vault.objects.get(pk=row.pk).token


def test_update_with_a_plain_value_is_refused(vault_table, alice):
    Vault.objects.create(merchant=alice.merchant, token="t")
    with pytest.raises(ValueError):
        Vault.objects.update(token="in the clear")


def test_a_removed_key_cannot_decrypt(vault_table, alice, settings):
    row = Vault.objects.create(merchant=alice.merchant, token="t")
    settings.FIELD_ENCRYPTION_KEYS = [new_key()]
    with pytest.raises(DecryptionError):
        _ = Vault.objects.get(pk=row.pk).token


def test_rotation_moves_every_row_to_the_new_key_and_can_resume(vault_table, alice, bob, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    rows = [Vault.objects.create(merchant=(alice, bob)[i % 2].merchant, token=f"secret-{i}") for i in range(30)]
    new = new_key()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    new_id = Keyring([new]).primary_id

    # A run stopped after its first batch ...
    from linkstar.crypto import rotate_field

    field = Vault._meta.get_field("token")
    next(rotate_field(field, batch_size=7))
    moved = sum(raw_row(r.pk)[0].split(".")[1] == new_id for r in rows)
    assert moved == 7
    # ... resumes by running again.
    call_command("rotate_encryption_keys", "--batch-size", "7", stdout=io.StringIO())
    assert all(raw_row(r.pk)[0].split(".")[1] == new_id for r in rows)
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can now be dropped
    assert [Vault.objects.get(pk=r.pk).token for r in rows] == [f"secret-{i}" for i in range(30)]


def test_keyring_refuses_bad_configuration():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        Keyring([])
    with pytest.raises(ImproperlyConfigured):
        Keyring(["c2hvcnQ="])
    assert isinstance(Ciphertext("x"), str)


def test_missing_keys_fail_the_startup_check(settings):
    from linkstar.checks import check_encryption_keys

    settings.FIELD_ENCRYPTION_KEYS = []
    errors = check_encryption_keys(None)
    assert [e.id for e in errors] == ["linkstar.E001"]
