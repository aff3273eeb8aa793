"""Push templates (title, text, link) and printed-card templates go through the same linter profiles,
approval and sandboxed rendering as every other channel."""

import pytest

from templates_review import services
from templates_review.linting import lint
from templates_review.rendering import RenderError, render_source, sample_context
from tests.factories.templates_review import TemplateVersionFactory, approved_version

pytestmark = pytest.mark.django_db


def rules(result):
    return {f.rule for f in result.findings}


def test_clean_push_passes_the_push_profile():
    result = lint(
        channel="push",
        subject="{{ store.name }}: your order shipped",
        body_text="Order {{ order.number }} is on its way.",
        link="{{ support_link }}",
        purpose="transactional",
    )
    assert not result.blocking, result.as_dict()


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"subject": "", "body_text": "Your order shipped."}, "push.title_missing"),
        ({"subject": "Hi", "body_text": "Leave a 5-star review and get a free gift!"}, "incentive.review"),
        ({"subject": "Hi", "body_text": "Track it: https://bit.ly/abc"}, "link.shortener"),
        ({"subject": "Hi", "body_text": "Shipped.", "link": "javascript:alert(1)"}, "push.link_invalid"),
        ({"subject": "Hi", "body_text": "Shipped.", "link": "{{ unsubscribe_link }}"}, "push.link_invalid"),
        ({"subject": "x" * 60, "body_text": "Shipped."}, "push.too_long"),
        ({"subject": "Hi", "body_text": "Shipped. {{ buyer.password }}"}, "template.unknown_variable"),
    ],
)
def test_push_findings(fields, rule):
    assert rule in rules(lint(channel="push", **fields))


def test_print_card_text_is_linted_for_incentives_in_any_language():
    result = lint(channel="print", subject="感谢您的购买", body_text="留下五星好评即可获得赠品", locale="zh-Hans")
    assert result.blocking
    assert {"incentive.review", "review.positive"} & rules(result)
    neutral = lint(
        channel="print",
        subject="Thank you for your order",
        body_text="Scan the code for help with your product, or to tell others what you think.",
    )
    assert not neutral.findings


def test_approved_push_version_renders_title_text_and_link(alice, reviewer):
    version = approved_version(
        reviewer=reviewer,
        template__merchant=alice.merchant,
        template__channel="push",
        template__purpose="transactional",
        subject="{{ store.name }}: shipped",
        body_text="Hi {{ buyer.first_name }}, order {{ order.number }} is on its way.",
        link="{{ support_link }}",
    )
    context = sample_context()
    context["support_link"] = "https://linkstar.example/s/abc"
    rendered = services.render_for_send(version=version, context=context)
    assert (rendered.subject, rendered.link) == ("Acme Outdoor: shipped", "https://linkstar.example/s/abc")
    assert rendered.text.startswith("Hi Jamie, order 112-4839201-5550123")


def test_push_link_that_does_not_render_to_an_address_is_refused():
    context = sample_context()
    with pytest.raises(RenderError, match="link"):
        render_source(subject="t", body_text="b", body_html="", context=context, link="{{ buyer.name }}")


def test_submitting_a_push_without_a_title_is_blocked(alice):
    version = TemplateVersionFactory(
        template__merchant=alice.merchant, template__channel="push", subject="", body_text="Shipped."
    )
    with pytest.raises(services.SubmissionBlocked):
        services.submit_version(version=version, user=None)


def test_versions_without_a_link_keep_the_hash_they_had_before_push_existed(alice):
    import hashlib
    import json

    version = TemplateVersionFactory(template__merchant=alice.merchant)
    before = hashlib.sha256(
        json.dumps(
            [version.subject, version.body_text, version.body_html, "", {}], ensure_ascii=False, sort_keys=True
        ).encode()
    ).hexdigest()
    assert services.content_hash(version) == before
    version.link = "{{ support_link }}"
    assert services.content_hash(version) != before


def test_api_creates_a_push_template_with_its_link(api_a):
    response = api_a.post(
        "/api/v1/templates",
        {
            "name": "Shipped push",
            "purpose": "transactional",
            "channel": "push",
            "locale": "en",
            "subject": "{{ store.name }}: shipped",
            "body_text": "Order {{ order.number }} is on its way.",
            "link": "{{ support_link }}",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    versions = api_a.get(f"/api/v1/templates/{response.json()['id']}/versions").json()
    rows = versions["results"] if isinstance(versions, dict) else versions
    assert rows[0]["link"] == "{{ support_link }}"


def test_editor_shows_title_and_link_fields_for_push(alice, client_a):
    version = TemplateVersionFactory(
        template__merchant=alice.merchant, template__channel="push", subject="Shipped", body_text="On its way."
    )
    page = client_a.get(f"/templates/{version.template_id}/")
    assert page.status_code == 200
    assert b'name="link"' in page.content
    assert b'name="body_html"' not in page.content
