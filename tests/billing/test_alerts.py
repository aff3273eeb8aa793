import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from billing import services
from billing.models import CapAlert, DenyReason
from tests.factories.accounts import MembershipFactory
from tests.factories.billing import fund, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def capped(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    caps_a.monthly_limit = Decimal("0.10")  # ten SMS segments to the US
    caps_a.save()
    return caps_a


def test_alerts_at_80_and_100_percent_are_sent_once_per_period(alice, capped, django_capture_on_commit_callbacks):
    MembershipFactory(merchant=alice.merchant, role=Role.OWNER, user__email="second-owner@example.test")
    MembershipFactory(merchant=alice.merchant, role=Role.VIEWER, user__email="viewer@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):
            send(alice.merchant, channel="sms")
    assert not CapAlert.objects.exists() and not mail.outbox

    with django_capture_on_commit_callbacks(execute=True):
        send(alice.merchant, channel="sms")  # 0.08 = 80 %
        send(alice.merchant, channel="sms")
    assert list(CapAlert.objects.values_list("threshold", flat=True)) == [80]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "second-owner@example.test"]
    assert "80%" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        send(alice.merchant, channel="sms")  # 0.10 = 100 %
        refused, _ = send(alice.merchant, channel="sms")
        send(alice.merchant, channel="sms")
    assert refused.reason == DenyReason.MONTHLY_CAP_REACHED
    assert sorted(CapAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    assert len(mail.outbox) == 4
    assert "paused" in mail.outbox[-1].subject
    assert "http://testserver/billing/" in mail.outbox[-1].body


def test_a_refusal_short_of_the_cap_still_alerts_at_100(alice, capped, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(alice.merchant, channel="sms", quantity=7)
        refused, _ = send(alice.merchant, channel="sms", quantity=4)  # 0.11 would pass the cap
    assert refused.reason == DenyReason.MONTHLY_CAP_REACHED
    assert CapAlert.objects.filter(threshold=100, spent=Decimal("0.07")).exists()
    assert len(mail.outbox) == 1


def test_raising_the_cap_resumes_sending_and_re_arms_its_alerts(alice, capped, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(alice.merchant, channel="sms", quantity=10)
    assert send(alice.merchant, channel="sms")[0].reason == DenyReason.MONTHLY_CAP_REACHED
    services.update_budget_caps(
        merchant=alice.merchant,
        monthly_limit=Decimal("0.20"),
        daily_limit=None,
        channel_limits={},
        allowed_countries=["US"],
        countries_follow_stores=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send(alice.merchant, channel="sms", quantity=6)[0].ok  # 0.16 = 80 % of the new cap
    assert CapAlert.objects.filter(threshold=80, limit=Decimal("0.20")).exists()


def test_daily_alerts_come_again_the_next_day(alice, price_book, caps_a):
    fund(alice.merchant, "10")
    caps_a.daily_limit = Decimal("0.01")
    caps_a.save()
    today = timezone.now()
    send(alice.merchant, channel="sms", now=today)
    send(alice.merchant, channel="sms", now=today + dt.timedelta(days=1))
    assert CapAlert.objects.filter(scope="day", threshold=100).count() == 2


def test_a_broker_failure_does_not_fail_a_committed_authorisation(
    alice, capped, monkeypatch, django_capture_on_commit_callbacks
):
    from billing import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.send_cap_alert_email_task, "delay", broken)
    with django_capture_on_commit_callbacks(execute=True):
        auth, record = send(alice.merchant, channel="sms", quantity=9)
    assert auth.ok and record is not None
    assert CapAlert.objects.filter(threshold=80).exists()


def test_dashboard_and_billing_page_show_the_notice(alice, client_a, capped):
    send(alice.merchant, channel="sms", quantity=10)
    dashboard = client_a.get("/dashboard/").content.decode()
    assert "Monthly cap reached" in dashboard
    billing = client_a.get("/billing/").content.decode()
    assert "paid messages are skipped until it resets or an owner raises it" in billing


def test_the_alert_email_is_in_the_owners_language(alice, capped, django_capture_on_commit_callbacks):
    alice.owner.language = "zh-hans"
    alice.owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(alice.merchant, channel="sms", quantity=8)
    assert "预算上限" in mail.outbox[0].subject
