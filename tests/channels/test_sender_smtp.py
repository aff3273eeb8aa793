"""The SMTP sender against a local aiosmtpd server: outcomes, headers, one connection per batch."""

import email
import socket
from email import policy

import pytest

from channels import services
from channels.fakes.smtp import FakeSmtpServer
from channels.models import SentMessage
from channels.senders import Outcome
from tests.factories.channels import outbound, smtp_account

pytestmark = pytest.mark.django_db


def test_smtp_accepts_and_the_email_carries_unsubscribe_headers_and_both_parts(alice, smtp_server):
    account = smtp_account(alice.merchant, smtp_server)
    message = outbound(account, language="zh-CN")
    result = services.send_message(account=account, message=message)

    assert result.outcome == Outcome.ACCEPTED
    assert result.provider_message_id == f"<{message.message_ref}@merchant.example>"
    received = email.message_from_bytes(smtp_server.messages[0].data, policy=policy.default)
    assert received["Message-ID"] == f"<{message.message_ref}@merchant.example>"
    assert received["X-Linkstar-Ref"] == message.message_ref
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = received["List-Unsubscribe"]
    assert "<http://testserver/channels/unsubscribe/" in unsubscribe
    assert "<mailto:shop@merchant.example?subject=unsubscribe%20" in unsubscribe
    assert {part.get_content_type() for part in received.walk()} >= {"text/plain", "text/html"}
    sent = SentMessage.objects.get(message_ref=message.message_ref)
    assert sent.status == SentMessage.Status.SENT and sent.merchant == alice.merchant


def test_smtp_4xx_is_a_temporary_failure(alice):
    with FakeSmtpServer(mode="tempfail") as server:
        result = services.send_message(
            account=smtp_account(alice.merchant, server), message=outbound_for(alice, server)
        )
    assert result.outcome == Outcome.TEMPORARY_FAILURE
    assert result.error_code == "smtp_451"


def test_smtp_5xx_is_a_permanent_failure(alice):
    with FakeSmtpServer(mode="permfail") as server:
        result = services.send_message(
            account=smtp_account(alice.merchant, server), message=outbound_for(alice, server)
        )
    assert result.outcome == Outcome.PERMANENT_FAILURE
    assert result.error_code == "smtp_550"


def test_smtp_connection_dropped_after_data_is_unknown_and_recorded_so(alice):
    with FakeSmtpServer(mode="drop") as server:
        account = smtp_account(alice.merchant, server)
        message = outbound(account)
        result = services.send_message(account=account, message=message)
    assert result.outcome == Outcome.UNKNOWN
    assert SentMessage.objects.get(message_ref=message.message_ref).status == SentMessage.Status.UNKNOWN


def test_smtp_server_that_is_not_there_is_a_temporary_failure(alice):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    account = smtp_account(alice.merchant, type("S", (), {"host": "127.0.0.1", "port": port})())
    result = services.send_message(account=account, message=outbound(account))
    assert result.outcome == Outcome.TEMPORARY_FAILURE
    assert result.error_code == "connection_failed"


def test_smtp_wrong_login_is_permanent_and_marks_the_account_failing(alice, smtp_server):
    smtp_server.credentials = ("shop", "right-password")
    account = smtp_account(alice.merchant, smtp_server)
    account.credentials = {"username": "shop", "password": "wrong-password"}
    account.save()
    result = services.send_message(account=account, message=outbound(account))
    assert result.outcome == Outcome.PERMANENT_FAILURE
    assert result.error_code == "auth_failed"
    account.refresh_from_db()
    assert account.status == "failing"


def test_smtp_login_with_the_merchants_credentials(alice, smtp_server):
    smtp_server.credentials = ("shop", "right-password")
    account = smtp_account(alice.merchant, smtp_server)
    account.credentials = {"username": "shop", "password": "right-password"}
    account.save()
    assert services.send_message(account=account, message=outbound(account)).accepted


def test_a_batch_reuses_one_connection_and_mixes_outcomes_per_recipient(alice, smtp_server):
    account = smtp_account(alice.merchant, smtp_server)
    recipients = ["one@example.com", "tempfail@example.com", "reject@example.com", "two@example.com"]
    results = services.send_messages(account=account, messages=[outbound(account, to=to) for to in recipients])

    assert [r.outcome for r in results] == [
        Outcome.ACCEPTED,
        Outcome.TEMPORARY_FAILURE,
        Outcome.PERMANENT_FAILURE,
        Outcome.ACCEPTED,
    ]
    assert smtp_server.connections == 1
    assert smtp_server.count == 2


def test_a_batch_reconnects_after_a_dropped_connection(alice, smtp_server):
    account = smtp_account(alice.merchant, smtp_server)
    recipients = ["drop@example.com", "after@example.com"]
    results = services.send_messages(account=account, messages=[outbound(account, to=to) for to in recipients])
    assert [r.outcome for r in results] == [Outcome.UNKNOWN, Outcome.ACCEPTED]
    assert smtp_server.connections == 2


def outbound_for(side, server):
    return outbound(smtp_account(side.merchant, server))


def test_non_ascii_subject_sender_name_and_domain_are_encoded(alice, smtp_server):
    account = smtp_account(alice.merchant, smtp_server)
    account.from_name = "深圳星光跨境贸易"
    account.save()
    message = outbound(
        account, to="买家@例子.中国".replace("买家", "buyer"), subject="您的订单已送达", text_body="谢谢！"
    )
    assert services.send_message(account=account, message=message).accepted
    received = email.message_from_bytes(smtp_server.messages[0].data, policy=policy.default)
    assert received["Subject"] == "您的订单已送达"
    assert received["From"].addresses[0].display_name == "深圳星光跨境贸易"
    assert smtp_server.messages[0].rcpt_tos == ["buyer@xn--fsqu00a.xn--fiqs8s"]
    assert received.get_body(("plain",)).get_content().strip() == "谢谢！"


def test_a_line_break_in_a_header_is_refused_not_injected(alice, smtp_server):
    account = smtp_account(alice.merchant, smtp_server)
    result = services.send_message(account=account, message=outbound(account, subject="Hi\r\nBcc: victim@example.com"))
    assert (result.outcome, result.error_code) == (Outcome.PERMANENT_FAILURE, "invalid_header")
    assert smtp_server.count == 0
