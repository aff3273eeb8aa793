from reviews.models import MessageAttempt
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
    side.objects.update(campaign=campaign, message=message)
