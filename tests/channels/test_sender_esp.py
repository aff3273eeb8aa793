"""ESP senders through django-anymail with each merchant's own keys, against the local ESP fake."""

import base64
import email
import json
from email import policy
from urllib.parse import parse_qs

import pytest

from channels import services
from channels.models import ChannelAccount, SuppressionEntry
from channels.senders import Outcome
from tests.factories.channels import mailgun_account, outbound, postmark_account, ses_account

pytestmark = pytest.mark.django_db

ACCOUNTS = {"postmark": postmark_account, "mailgun": mailgun_account, "amazon_ses": ses_account}


@pytest.fixture(params=sorted(ACCOUNTS))
def esp(request, alice, fake):
    return ACCOUNTS[request.param](alice.merchant, fake)


def sent_payload(fake, kind):
    """What reached the fake for the last send, as (recipients text, metadata dict, raw headers text)."""
    record = [r for r in fake.state.requests if r.method == "POST"][-1]
    if kind == "postmark":
        data = json.loads(record.body)
        headers = {h["Name"]: h["Value"] for h in data.get("Headers", [])}
        return data["To"], data.get("Metadata", {}), headers, record
    if kind == "mailgun":
        ctype = record.headers["Content-Type"]
        if ctype.startswith("multipart/form-data"):
            msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + record.body)
            form = {}
            for part in msg.get_payload():
                form.setdefault(part.get_param("name", header="content-disposition"), []).append(
                    part.get_payload(decode=True).decode()
                )
        else:
            form = parse_qs(record.body.decode())
        headers = {k[2:]: v[0] for k, v in form.items() if k.startswith("h:")}
        metadata = {k[2:]: v[0] for k, v in form.items() if k.startswith("v:")}
        return form["to"][0], metadata, headers, record
    data = json.loads(record.body)
    raw = email.message_from_bytes(base64.b64decode(data["Content"]["Raw"]["Data"]), policy=policy.default)
    return str(raw["To"]), json.loads(raw["X-Metadata"]), dict(raw.items()), record


def test_esp_send_uses_the_merchants_keys_and_carries_our_reference(esp, fake):
    message = outbound(esp)
    result = services.send_message(account=esp, message=message)

    assert result.outcome == Outcome.ACCEPTED, result
    assert result.provider_message_id
    to, metadata, headers, record = sent_payload(fake, esp.kind)
    assert "buyer@example.com" in to
    assert metadata["linkstar_ref"] == message.message_ref
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/channels/unsubscribe/" in headers["List-Unsubscribe"]
    assert headers["X-Linkstar-Ref"] == message.message_ref
    if esp.kind == "postmark":
        assert record.headers["X-Postmark-Server-Token"] == "pm-token"
    elif esp.kind == "mailgun":
        assert base64.b64decode(record.headers["Authorization"][6:]) == b"api:mg-key"
        assert record.path == "/v3/mg.merchant.example/messages"
    else:
        assert "Credential=AKIDEXAMPLE/" in record.headers["Authorization"]


def test_two_merchants_send_with_their_own_keys_in_the_same_process(alice, bob, fake):
    a = postmark_account(alice.merchant, fake, credentials={"server_token": "alice-token"})
    b = postmark_account(bob.merchant, fake, credentials={"server_token": "bob-token"})
    services.send_message(account=a, message=outbound(a))
    services.send_message(account=b, message=outbound(b))
    tokens = [r.headers["X-Postmark-Server-Token"] for r in fake.state.requests if r.path == "/email"]
    assert tokens == ["alice-token", "bob-token"]


@pytest.mark.parametrize(
    ("local", "outcome", "code"),
    [
        ("ratelimit", Outcome.TEMPORARY_FAILURE, None),
        ("error", Outcome.TEMPORARY_FAILURE, None),
        ("slow", Outcome.UNKNOWN, "timeout_after_send"),
    ],
)
def test_esp_answers_map_to_outcomes(esp, local, outcome, code):
    result = services.send_message(account=esp, message=outbound(esp, to=f"{local}@example.com"))
    assert result.outcome == outcome, result
    if code:
        assert result.error_code == code


def test_esp_invalid_recipient_is_permanent_and_suppressed(esp):
    result = services.send_message(account=esp, message=outbound(esp, to="invalid@example.com"))
    assert result.outcome == Outcome.PERMANENT_FAILURE
    if esp.kind != "amazon_ses":  # SES answers BadRequestException, not an address verdict
        assert result.error_code == "invalid_address"
        assert SuppressionEntry.objects.filter(merchant=esp.merchant, reason="invalid").exists()


def test_esp_inactive_recipient_is_permanent(esp):
    result = services.send_message(account=esp, message=outbound(esp, to="inactive@example.com"))
    assert result.outcome == Outcome.PERMANENT_FAILURE


def test_esp_refused_credentials_are_permanent_and_mark_the_account_failing(esp, fake):
    fake.state.postmark_token, fake.state.mailgun_key, fake.state.ses_access_key = "other", "other", "OTHER"
    result = services.send_message(account=esp, message=outbound(esp))
    assert result.outcome == Outcome.PERMANENT_FAILURE
    assert result.error_code == "auth_failed"
    esp.refresh_from_db()
    assert esp.status == ChannelAccount.Status.FAILING
    assert esp.last_error


def test_esp_unreachable_is_temporary(alice, fake):
    account = postmark_account(alice.merchant, fake, config={"api_url": "http://127.0.0.1:9/"})
    result = services.send_message(account=account, message=outbound(account))
    assert result.outcome == Outcome.TEMPORARY_FAILURE
    assert result.error_code == "connection_failed"


def test_a_batch_keeps_one_http_session(alice, fake, monkeypatch):
    import requests

    sessions = []
    original = requests.Session.__init__

    def counting(self, *args, **kwargs):
        sessions.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "__init__", counting)
    account = postmark_account(alice.merchant, fake)
    results = services.send_messages(account=account, messages=[outbound(account) for _ in range(5)])
    assert all(r.accepted for r in results)
    assert len(sessions) == 1
