import pytest

from channels.fakes.http import FakeProviderServer
from channels.fakes.smtp import FakeSmtpServer


@pytest.fixture(scope="session")
def _fake_server():
    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def fake(_fake_server):
    """The provider fake with fresh state for each test."""
    state = _fake_server.state
    state.requests.clear()
    state.postmark_token = state.mailgun_key = state.ses_access_key = state.twilio = state.lwa = None
    state.orders.clear()
    state.buckets.clear()
    state.send_callbacks = False
    state.slow_seconds = 2.0
    state.rate, state.burst = 1.0, 5
    state.sns_confirmations.clear()
    state.fcm_keys = {}
    state.fcm_tokens.clear()
    state.fcm_messages.clear()
    state.webpush_subscriptions.clear()
    state.webpush_messages.clear()
    state.amazon_messages.clear()
    return _fake_server


@pytest.fixture
def smtp_server():
    with FakeSmtpServer() as server:
        yield server


@pytest.fixture
def sns_settings(settings, fake):
    settings.CHANNELS_SNS_URL_REGEX = rf"^{fake.url}/sns/"
    return settings
