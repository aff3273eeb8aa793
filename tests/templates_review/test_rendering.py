"""The sandboxed renderer and what campaigns call: only approved versions, strict variables, bounded output."""

import pytest

from templates_review import rendering, selectors, services
from templates_review.rendering import RenderError, RenderLimitError, UnknownVariableError
from tests.factories.templates_review import MessageTemplateFactory, TemplateVersionFactory, approved_version

CTX = rendering.sample_context()


def render(text, html=""):
    return rendering.render_source(subject="", body_text=text, body_html=html, context=CTX)


def test_variables_render_from_the_fixed_set():
    out = render(
        "Hi {{ buyer.first_name }}, {% for item in order.items %}{{ item.title }} x{{ item.quantity }}{% endfor %}"
    )
    assert out.text == "Hi Jamie, Trail Lantern 300 x1"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ buyer.__class__ }}",
        "{{ buyer.first_name.upper() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 999999 }}",
        "{{ '%999999999s' % 'a' }}",
        "{% set x = 1 %}",
        "{% include 'base.html' %}",
        "{{ buyer.name|replace('a', 'aaaaaaaa') }}",
        "{{ lipsum() }}",
    ],
)
def test_sandbox_escapes_and_resource_bombs_are_refused(source):
    with pytest.raises(RenderError):
        render(source)
    assert rendering.check_source(source) or source.startswith(("{{ 'x'", "{{ 9", "{{ '%")), source


def test_runtime_guards_hold_even_without_the_edit_time_check():
    env = rendering._TEXT_ENV
    with pytest.raises(Exception, match="not allowed|unsafe|attribute"):
        env.from_string("{{ ''.__class__.__mro__ }}").render().strip() or env.getattr("", "__class__")
    with pytest.raises(RenderLimitError):
        rendering._render("{{ 'ab' * 5000 }}", html=False, context=CTX, limit=1000, field="body_text")


def test_nested_loops_over_items_hit_the_iteration_budget():
    context = dict(CTX, order={"number": "1", "items": [{"title": "t", "sku": "s", "quantity": 1}] * 50})
    loops = (
        "{% for a in order.items %}{% for b in order.items %}{% for c in order.items %}."
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    with pytest.raises(RenderLimitError, match="loops"):
        rendering.render_source(subject="", body_text=loops, body_html="", context=context)


def test_unknown_variable_is_an_error_not_an_empty_string():
    with pytest.raises(UnknownVariableError, match="buyer.email"):
        render("Hi {{ buyer.email }}")
    with pytest.raises(UnknownVariableError, match="coupon_code"):
        render("{{ coupon_code }}")


def test_a_missing_value_in_the_context_is_an_error():
    context = {k: v for k, v in CTX.items() if k != "review_link"}
    with pytest.raises(UnknownVariableError, match="review_link"):
        rendering.render_source(subject="", body_text="{{ review_link }}", body_html="", context=context)


def test_the_context_may_only_carry_the_fixed_variables():
    with pytest.raises(UnknownVariableError, match="secret"):
        rendering.render_source(subject="", body_text="x", body_html="", context=dict(CTX, secret="s"))


def test_html_is_autoescaped_and_text_is_not():
    context = dict(CTX, buyer={"first_name": "<b>A&B</b>", "last_name": "", "name": ""})
    out = rendering.render_source(
        subject="Hi {{ buyer.first_name }}\nBcc: x",
        body_text="{{ buyer.first_name }}",
        body_html="<p>{{ buyer.first_name }}</p>",
        context=context,
    )
    assert out.html == "<p>&lt;b&gt;A&amp;B&lt;/b&gt;</p>"
    assert out.text == "<b>A&B</b>"
    assert "\n" not in out.subject, "a buyer's name cannot add header lines"


def test_output_size_is_bounded():
    context = dict(CTX, store={"name": "x" * 30_000, "postal_address": ""})
    with pytest.raises(RenderLimitError, match="longer than"):
        rendering.render_source(subject="", body_text="{{ store.name }}{{ store.name }}", body_html="", context=context)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "superseded"])
def test_only_an_approved_version_renders_for_sending(status):
    version = TemplateVersionFactory(status=status)
    with pytest.raises(services.NotApprovedError):
        services.render_for_send(version=version, context=CTX)


@pytest.mark.django_db
def test_render_for_send_renders_an_approved_version(reviewer):
    version = approved_version(reviewer=reviewer)
    out = services.render_for_send(version=version, context=CTX)
    assert "Jamie" in out.text and CTX["review_link"] in out.text
    assert out.subject == "How is your order 112-4839201-5550123?"


@pytest.mark.django_db
def test_render_for_send_refuses_text_changed_after_approval(reviewer):
    version = approved_version(reviewer=reviewer)
    version.body_text = "Changed behind the reviewer's back"
    with pytest.raises(services.NotApprovedError, match="changed"):
        services.render_for_send(version=version, context=CTX)


@pytest.mark.django_db
def test_approved_version_for_picks_locale_then_fallback(reviewer, alice):
    de = approved_version(reviewer=reviewer, template=MessageTemplateFactory(merchant=alice.merchant, locale="de"))
    en = approved_version(reviewer=reviewer, template=MessageTemplateFactory(merchant=alice.merchant, locale="en"))
    TemplateVersionFactory(template=MessageTemplateFactory(merchant=alice.merchant, locale="fr"))  # draft only
    find = selectors.approved_version_for
    assert find(merchant=alice.merchant, purpose="review_request", channel="email", locale="de") == de
    assert find(merchant=alice.merchant, purpose="review_request", channel="email", locale="de-AT") == de
    assert (
        find(merchant=alice.merchant, purpose="review_request", channel="email", locale="fr", fallback_locale="en")
        == en
    )
    assert find(merchant=alice.merchant, purpose="review_request", channel="sms", locale="en") is None
    assert find(merchant=alice.merchant, purpose="review_request", channel="email", locale="fr") is None


@pytest.mark.django_db
def test_approved_version_for_never_returns_another_merchants_template(reviewer, alice, bob):
    approved_version(reviewer=reviewer, template=MessageTemplateFactory(merchant=bob.merchant))
    assert (
        selectors.approved_version_for(merchant=alice.merchant, purpose="review_request", channel="email", locale="en")
        is None
    )
