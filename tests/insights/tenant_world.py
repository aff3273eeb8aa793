from insights.models import BreakerRule, BreakerTrip, Notice, NoticeKind
from tests.factories.channels import ChannelAccountFactory


def populate(side) -> None:
    merchant = side.merchant
    account = side.objects.get("channel_account") or ChannelAccountFactory(merchant=merchant, kind="outbox")
    from django.utils import timezone

    now = timezone.now()
    trip = BreakerTrip.objects.create(
        merchant=merchant, account=account, rule=BreakerRule.COMPLAINTS, key=f"world:{side.tag}", rate="0.005",
        threshold="0.003", numerator=5, denominator=1000, window_start=now, window_end=now,
        reason=f"complaints {side.canary}", tripped_at=now,
    )  # fmt: skip
    notice = Notice.objects.create(
        merchant=merchant, kind=NoticeKind.TEMPLATE_REJECTED, key=f"world:{side.tag}",
        params={"template": f"Template {side.canary}", "version": 1, "reason": "incentive"},
    )  # fmt: skip
    side.objects.update(breaker_trip=trip, notice=notice)
