import datetime as dt

from django.utils import timezone

from billing import services
from billing.models import PriceBook
from billing.periods import month_of, previous_month
from tests.factories.billing import BudgetCapFactory, PlanFactory, SubscriptionFactory, price_book_with


def populate(side) -> None:
    """Each merchant: a plan, a capped budget, last month closed into a statement, usage this month."""
    if not PriceBook.objects.exists():
        price_book_with()
    merchant = side.merchant
    last_month = previous_month(month_of())
    in_last_month = timezone.now().replace(day=1) - dt.timedelta(days=10)
    SubscriptionFactory(merchant=merchant, plan=PlanFactory(monthly_fee="9"), started_at=in_last_month)
    BudgetCapFactory(merchant=merchant, allowed_countries=["US"])
    services.top_up(merchant=merchant, amount="20", reason=f"Wire {side.canary}", now=in_last_month)
    for n, when in enumerate([in_last_month, timezone.now()]):
        ref = f"msg-{side.canary}-{n}"
        services.authorize_send(
            merchant=merchant, message_ref=ref, channel="sms", country="US", message_class="marketing", now=when
        )
        services.record_usage(message_ref=ref, sent=True, now=when)
    side.objects["statement"] = services.close_statement(merchant=merchant, month=last_month)
    services.top_up(merchant=merchant, amount="5", reason=f"Card {side.canary}")
