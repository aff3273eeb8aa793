import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db.models import Sum

from billing import selectors, services
from billing.models import LedgerEntry, Statement, StatementLine, UsageRecord
from billing.periods import month_of, previous_month
from billing.tasks import close_statements_task
from tests.factories.billing import PlanFactory, SubscriptionFactory, fund, new_ref, send

pytestmark = pytest.mark.django_db

JUNE = dt.date(2026, 6, 1)
IN_JUNE = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
JULY_FIRST = dt.datetime(2026, 7, 1, 0, 5, tzinfo=dt.UTC)
IN_JULY = dt.datetime(2026, 7, 3, 9, tzinfo=dt.UTC)


@pytest.fixture
def june(alice, price_book, caps_a):
    """Alice in June: Growth plan (fee 10, 2 SMS segments included), a top-up, usage, a credit."""
    plan = PlanFactory(name="Growth", monthly_fee=Decimal("10"), included_sms=2)
    SubscriptionFactory(merchant=alice.merchant, plan=plan, started_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    fund(alice.merchant, "50", now=IN_JUNE, reference="PAY-1")
    send(alice.merchant, channel="sms", country="US", quantity=3, now=IN_JUNE)  # 2 included, 1 x 0.01
    send(alice.merchant, channel="sms", country="GB", quantity=2, now=IN_JUNE)  # 2 x 0.04
    send(alice.merchant, channel="email", country="DE", now=IN_JUNE)  # 0.001
    send(alice.merchant, channel="email", country="DE", now=IN_JUNE)
    send(alice.merchant, channel="sms", country="US", sent=False, now=IN_JUNE)  # failed: nothing billed
    services.post_manual_entry(
        merchant=alice.merchant, kind="adjustment", amount="1.5", reason="goodwill credit", now=IN_JUNE
    )
    return alice


def test_a_statements_total_equals_its_usage_and_the_ledger(june):
    statement = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST)
    usage = UsageRecord.objects.filter(merchant=june.merchant, period=JUNE).aggregate(s=Sum("amount"))["s"]
    assert usage == Decimal("0.092")
    assert statement.usage_amount == usage
    assert statement.plan_fee == Decimal("10")
    assert statement.adjustments == Decimal("1.5")
    assert statement.total == usage + Decimal("10") - Decimal("1.5")
    ledger = LedgerEntry.objects.filter(merchant=june.merchant, period=JUNE)
    charges = ledger.exclude(kind__in=["top_up", "refund"]).aggregate(s=Sum("amount"))["s"]
    assert statement.total == -charges
    assert statement.closing_balance - statement.opening_balance == ledger.aggregate(s=Sum("amount"))["s"]
    assert statement.closing_balance == Decimal("50") - statement.total
    assert statement.message_count == 4
    assert sum((line.amount for line in statement.lines.filter(kind="usage")), Decimal(0)) == usage
    assert selectors.verify_books(june.merchant) == []


def test_lines_are_by_channel_country_and_class_with_the_included_volume(june):
    statement = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST)
    usage = {(line.channel, line.country): line for line in statement.lines.filter(kind=StatementLine.Kind.USAGE)}
    assert set(usage) == {("sms", "US"), ("sms", "GB"), ("email", "DE")}
    us = usage[("sms", "US")]
    assert (us.messages, us.units, us.included_units, us.amount) == (1, 3, 2, Decimal("0.01"))
    assert (usage[("email", "DE")].messages, usage[("email", "DE")].amount) == (2, Decimal("0.002"))
    kinds = list(statement.lines.values_list("kind", flat=True))
    assert kinds[0] == "plan_fee" and "adjustment" in kinds and "top_up" in kinds


def test_closing_is_idempotent_and_charges_the_plan_fee_once(june):
    first = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST)
    again = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST + dt.timedelta(hours=1))
    assert first.pk == again.pk
    assert LedgerEntry.objects.filter(kind="plan_fee").count() == 1
    assert Statement.objects.count() == 1


def test_a_closed_statement_cannot_change_later_entries_go_to_the_next(june):
    late = services.authorize_send(
        merchant=june.merchant,
        message_ref=new_ref(),
        channel="email",
        country="US",
        message_class="marketing",
        now=dt.datetime(2026, 6, 30, 23, 59, tzinfo=dt.UTC),
    )
    statement = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST)
    frozen = (statement.total, statement.closing_balance, list(statement.lines.values_list("amount", flat=True)))

    record = services.record_usage(message_ref=late.message_ref, sent=True, now=IN_JULY)  # reserved in June
    entry = services.post_manual_entry(
        merchant=june.merchant, kind="adjustment", amount="-0.5", reason="June correction", now=IN_JULY
    )
    assert record.period == entry.period == dt.date(2026, 7, 1)

    statement.refresh_from_db()
    assert (
        statement.total,
        statement.closing_balance,
        list(statement.lines.values_list("amount", flat=True)),
    ) == frozen
    july = services.close_statement(
        merchant=june.merchant, month=dt.date(2026, 7, 1), now=dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
    )
    assert july.opening_balance == statement.closing_balance
    assert july.usage_amount == Decimal("0.001")
    assert july.adjustments == Decimal("-0.5")
    assert "June correction" in july.lines.values_list("description", flat=True)


def test_a_month_cannot_be_closed_before_it_ends(june):
    with pytest.raises(services.StatementClosed):
        services.close_statement(merchant=june.merchant, month=JUNE, now=IN_JUNE)


def test_the_beat_job_closes_last_month_and_any_missed_before_it(alice, bob, price_book, caps_a):
    fund(alice.merchant, "5", now=dt.datetime(2026, 4, 10, tzinfo=dt.UTC))
    send(alice.merchant, channel="email", now=dt.datetime(2026, 4, 11, tzinfo=dt.UTC))
    send(alice.merchant, channel="email", now=dt.datetime(2026, 6, 11, tzinfo=dt.UTC))
    fund(bob.merchant, "5", now=IN_JUNE)
    assert services.close_due_statements(now=JULY_FIRST) == 2
    months = list(Statement.objects.filter(merchant=alice.merchant).order_by("month").values_list("month", flat=True))
    assert months == [dt.date(2026, 4, 1), dt.date(2026, 6, 1)]  # May had nothing: no statement
    assert Statement.objects.filter(merchant=bob.merchant, month=JUNE).exists()
    assert services.close_due_statements(now=JULY_FIRST) == 2  # again: the same statements, nothing new
    assert Statement.objects.count() == 3


def test_the_close_statements_task_closes_last_month_of_the_real_clock(alice, price_book):
    last_month = previous_month(month_of())
    fund(alice.merchant, "5", now=dt.datetime.combine(last_month.replace(day=15), dt.time(12), tzinfo=dt.UTC))
    close_statements_task.delay()  # eager in tests
    statement = Statement.objects.get(merchant=alice.merchant)
    assert statement.month == last_month and statement.top_ups == Decimal("5")


def test_statement_page_and_csv(june, client_a):
    statement = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST)
    services.post_manual_entry(
        merchant=june.merchant, kind="adjustment", amount="1", reason="=HYPERLINK()", now=IN_JULY
    )
    page = client_a.get(f"/billing/statements/{statement.pk}/")
    assert page.status_code == 200
    assert b"Growth" in page.content and b"goodwill credit" in page.content
    response = client_a.get(f"/billing/statements/{statement.pk}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["month", "kind", "description"]
    total = next(r for r in rows if r[1] == "summary" and r[2] == "total_charges")
    assert Decimal(total[9]) == statement.total
    usage_rows = [r for r in rows if r[1] == "usage"]
    assert sum(Decimal(r[9]) for r in usage_rows) == statement.usage_amount
    assert "=HYPERLINK" not in text  # that adjustment is on July's statement, not June's
    listing = client_a.get("/billing/statements/")
    assert b"2026-06" in listing.content


def test_a_description_starting_like_a_formula_is_quoted_in_csv(june, client_a):
    services.post_manual_entry(merchant=june.merchant, kind="adjustment", amount="1", reason="=cmd()", now=IN_JUNE)
    statement = services.close_statement(merchant=june.merchant, month=JUNE, now=JULY_FIRST)
    text = client_a.get(f"/billing/statements/{statement.pk}/csv/").content.decode("utf-8-sig")
    assert "'=cmd()" in text
