from tests.factories.templates_review import MessageTemplateFactory, TemplateVersionFactory


def populate(side) -> None:
    template = MessageTemplateFactory(merchant=side.merchant, name=f"Template {side.canary}")
    side.objects["template"] = template
    side.objects["template_version"] = TemplateVersionFactory(template=template, number=1)
