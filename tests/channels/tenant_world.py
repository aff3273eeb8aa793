from channels.models import SuppressionEntry
from tests.factories.channels import (
    ChannelAccountFactory,
    DeliveryEventFactory,
    OutboxMessageFactory,
    SentMessageFactory,
    SuppressionEntryFactory,
)


def populate(side) -> None:
    merchant = side.merchant
    account = ChannelAccountFactory(merchant=merchant, name=f"Outbox {side.canary}", kind="outbox")
    side.objects["channel_account"] = account
    sent = SentMessageFactory(merchant=merchant, account=account, recipient=f"{side.tag}@buyer.example")
    side.objects["delivery_event"] = DeliveryEventFactory(
        merchant=merchant,
        account=account,
        sent_message=sent,
        message_ref=sent.message_ref,
        provider_event_id=f"evt-{side.tag}",
        detail=f"delivered {side.canary}",
    )
    side.objects["suppression"] = SuppressionEntryFactory(
        merchant=merchant,
        address=f"{side.canary}@buyer.example",
        reason=SuppressionEntry.Reason.MANUAL,
        source=f"test {side.canary}",
    )
    side.objects["outbox_message"] = OutboxMessageFactory(
        merchant=merchant, account=account, subject=f"Hello {side.canary}", html_body=f"<p>{side.canary}</p>"
    )
