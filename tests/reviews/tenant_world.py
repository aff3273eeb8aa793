import datetime as dt

from reviews.models import (
    MessageAttempt,
    ReceivedReview,
    SatisfactionAnswer,
    Segment,
    ServiceRecoveryTicket,
    TicketEntry,
)
from tests.factories.channels import ChannelAccountFactory
from tests.factories.reviews import CampaignFactory, MessageFactory, PlanStepFactory


def populate(side) -> None:
    merchant = side.merchant
    account = side.objects.get("channel_account") or ChannelAccountFactory(merchant=merchant, kind="outbox")
    campaign = CampaignFactory(merchant=merchant, name=f"Campaign {side.canary}", status="draft")
    PlanStepFactory(campaign=campaign, channel="email", account=account, template_name=f"Template {side.canary}")
    order = side.objects["order"]
    message = MessageFactory(
        campaign=campaign, order=order, buyer=order.buyer, status="skipped", reason_code="no_consent",
        reason_detail=f"email: no_consent {side.canary}", country="US", channel="email",
    )  # fmt: skip
    MessageAttempt.objects.create(
        merchant=merchant, message=message, number=1, channel="email", outcome="permanent_failure",
        detail=f"refused {side.canary}",
    )  # fmt: skip
    segment = Segment.objects.create(merchant=merchant, name=f"Segment {side.canary}", countries=["US"], min_orders=2)
    broadcast = CampaignFactory(
        merchant=merchant, name=f"Broadcast {side.canary}", purpose="broadcast", message_class="marketing",
        status="draft", segment=segment, send_on=dt.date(2026, 12, 1), send_time=dt.time(10, 0),
    )  # fmt: skip
    PlanStepFactory(campaign=broadcast, channel="email", account=account)
    ticket = ServiceRecoveryTicket.objects.create(
        merchant=merchant, order=order, message=message, reason="damaged", source="help_page",
        text=f"the mug arrived broken {side.canary}", photo=f"recovery/{merchant.pk}/world.jpg",
    )  # fmt: skip
    TicketEntry.objects.create(merchant=merchant, ticket=ticket, kind="note", text=f"called the buyer {side.canary}")
    SatisfactionAnswer.objects.create(
        merchant=merchant, order=order, message=message, answer="unhappy", answered_at=message.created_at
    )
    review = ReceivedReview.objects.create(
        merchant=merchant, order=order, asin="B0CANARY01", rating=4, reviewed_on=dt.date(2026, 1, 5),
        title=f"Warm socks {side.canary}", source="api", dedupe_key=f"world-{side.canary}",
    )  # fmt: skip
    side.objects.update(campaign=campaign, message=message, broadcast=broadcast, ticket=ticket, received_review=review)
