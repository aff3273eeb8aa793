import factory

from templates_review.models import MessageTemplate, TemplateVersion
from tests.factories.accounts import MerchantFactory

CLEAN_EMAIL = (
    "Hi {{ buyer.first_name }},\n\nThank you for your order {{ order.number }}. Would you share your honest "
    "opinion in a review? {{ review_link }}\n\n{{ store.name }} · {{ store.postal_address }}\n"
    "Unsubscribe: {{ unsubscribe_link }}"
)


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Review request {n}")
    purpose = "review_request"
    channel = "email"
    marketplace = "own_site"
    locale = "en"


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    """A draft; use services (submit/approve) to move it, so decisions and hashes are real."""

    class Meta:
        model = TemplateVersion

    template = factory.SubFactory(MessageTemplateFactory)
    merchant = factory.SelfAttribute("template.merchant")
    number = factory.Sequence(lambda n: n + 1)
    subject = "How is your order {{ order.number }}?"
    body_text = CLEAN_EMAIL
    body_html = ""


def approved_version(*, reviewer, **kwargs) -> TemplateVersion:
    from templates_review import services

    version = TemplateVersionFactory(**kwargs)
    services.submit_version(version=version, user=None)
    return services.approve_version(version=version, reviewer=reviewer)
