import datetime as dt

import factory
from django.utils import timezone

from reviews.models import Campaign, CampaignStatus, Message, PlanStep, Variant
from tests.factories.accounts import MerchantFactory, UserFactory
from tests.factories.templates_review import MessageTemplateFactory, approved_version

SMS_TEXT = (
    "{{ store.name }}: Hi {{ buyer.first_name }}, how is order {{ order.number }}? An honest review helps others: "
    "{{ review_link }} Reply STOP to opt out"
)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    status = CampaignStatus.ACTIVE
    message_class = "utility"
    delay_days = 5
    window_start = dt.time(0, 0)
    window_end = dt.time(23, 59)
    min_gap_hours = 0


class PlanStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanStep

    campaign = factory.SubFactory(CampaignFactory)
    merchant = factory.SelfAttribute("campaign.merchant")
    country = "*"
    position = factory.Sequence(lambda n: n)
    channel = "email"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    campaign = factory.SubFactory(CampaignFactory)
    merchant = factory.SelfAttribute("campaign.merchant")
    name = factory.Sequence(lambda n: f"V{n}")
    weight = 1


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    campaign = factory.SubFactory(CampaignFactory)
    merchant = factory.SelfAttribute("campaign.merchant")
    order = None
    step = 1
    send_at = factory.LazyFunction(timezone.now)


def approved_template(merchant, *, channel="email", locale="en", name=None, **content):
    reviewer = UserFactory(is_staff=True)
    template = MessageTemplateFactory(
        merchant=merchant, channel=channel, locale=locale, **({"name": name} if name else {})
    )
    if channel == "sms":
        content.setdefault("subject", "")
        content.setdefault("body_text", SMS_TEXT)
    if channel == "whatsapp":
        content.setdefault("subject", "")
        content.setdefault("body_text", SMS_TEXT)
        content.setdefault("whatsapp_content_sid", "HX" + "a" * 32)
        content.setdefault("whatsapp_variables", {"1": "buyer.first_name", "2": "order.number"})
    return approved_version(reviewer=reviewer, template=template, **content)
