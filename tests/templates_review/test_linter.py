"""Each rule in several languages with its span, the normalisation that makes them hard to dodge, the profiles."""

import pytest
from django.utils import translation

from templates_review.linting import LintInputError, count_segments, lint
from templates_review.linting.normalise import normalise

FOOTER = "\n{{ store.name }}, {{ store.postal_address }} {{ unsubscribe_link }}"


def findings(text, *, channel="email", locale="en", marketplace="own_site", **kw):
    body = text + (FOOTER if channel == "email" else "")
    result = lint(
        channel=channel, locale=locale, marketplace=marketplace, subject=kw.pop("subject", "Hi"), body_text=body, **kw
    )
    return result, [(f.rule, body[f.start : f.end]) for f in result.findings if f.field == "body_text"]


def hits(result, rule, text, excerpt, field="body_text"):
    """Findings of `rule` whose span overlaps where `excerpt` is in `text`."""
    start = text.index(excerpt)
    end = start + len(excerpt)
    return [f for f in result.findings if f.rule == rule and f.field == field and f.start < end and start < f.end]


@pytest.mark.parametrize(
    ("locale", "text", "rule", "excerpt"),
    [
        ("en", "Leave a review and get a gift card!", "incentive.review", "gift card"),
        ("de", "Für Ihre Bewertung erhalten Sie einen Gutschein.", "incentive.review", "Gutschein"),
        ("fr", "Laissez un avis et recevez une carte cadeau.", "incentive.review", "carte cadeau"),
        ("es", "Deje una reseña y reciba un cupón.", "incentive.review", "cupón"),
        ("ja", "レビューを書くとクーポンをプレゼント。", "incentive.review", "クーポン"),
        ("zh-Hans", "好评返现5元", "incentive.review", "返现"),
        ("en", "Please leave us a 5-star review", "review.positive", "5-star review"),
        ("it", "Lasciaci una recensione a 5 stelle", "review.positive", "recensione a 5 stelle"),
        ("pl", "Prosimy o pozytywną opinię", "review.positive", "pozytywną opinię"),
        ("sv", "Ge oss fem stjärnor", "review.positive", "fem stjärnor"),
        ("en", "In your review, please mention the fast shipping.", "review.dictate", "In your review, please mention"),
        ("en", "Before leaving a negative review, contact us.", "review.gating", "Before leaving a negative review"),
        (
            "nl",
            "Voordat u een negatieve review schrijft, neem contact op.",
            "review.gating",
            "Voordat u een negatieve review",
        ),
        (
            "pt",
            "Antes de deixar uma avaliação negativa, fale conosco.",
            "review.gating",
            "Antes de deixar uma avaliação",
        ),
        ("en", "Please remove your negative review.", "review.change", "remove your negative review"),
        ("de", "Bitte löschen Sie Ihre Bewertung.", "review.change", "löschen Sie Ihre Bewertung"),
        ("zh-Hans", "麻烦您修改一下评价。", "review.change", "修改一下评价"),
    ],
)
def test_each_content_rule_blocks_in_several_languages_with_its_span(locale, text, rule, excerpt):
    result, found = findings(text, locale=locale)
    assert result.blocking
    assert hits(result, rule, text, excerpt), found


def test_a_neutral_request_next_to_a_neutral_help_offer_is_not_gating():
    text = "If something is wrong, contact us: {{ support_link }}\nWe'd appreciate an honest review: {{ review_link }}"
    result, found = findings(text)
    assert not result.blocking, found


def test_asking_only_happy_buyers_is_gating():
    text = "If you love it, please leave us a review!"
    result, found = findings(text)
    assert hits(result, "review.gating", text, "If you love"), found


@pytest.mark.parametrize(
    "dodge",
    [
        "Leave a review and get a f r e e  g i f t",
        "Leave a review and get a F.R.E.E gift",
        "Leave a review and get a ｆｒｅｅ ｇｉｆｔ",
        "Leave a review and get a fr3e g1ft",
        "Leave a review and get a frее gift",  # Cyrillic е
        "Leave a review and get a fr\u200bee gift",
        "Leave a r e v i e w: we send a gift card",
        "Leave a review and get a {{ 'free' }} gift",
        "Leave a review and get a {{ 'fr' ~ 'ee' }} {{ 'gi' ~ 'ft' }}",
    ],
)
def test_normalisation_makes_rules_hard_to_dodge(dodge):
    result, found = findings(dodge)
    assert any(rule == "incentive.review" for rule, _ in found), found


def test_accents_and_case_fold_in_word_lists():
    result, found = findings("BEWERTEN SIE UNS UND ERHALTEN SIE EINE RUCKERSTATTUNG", locale="de")
    assert any(rule == "incentive.review" for rule, _ in found)


def test_spans_point_into_the_original_text_after_normalisation():
    text = "Rate us and get a ｆｒｅｅ  ｇｉｆｔ now"
    result = lint(channel="amazon_solicitation", locale="en", body_text=text)
    spans = [text[f.start : f.end] for f in result.findings if f.rule == "incentive.review"]
    assert spans and all(span in text for span in spans)
    assert any("ｆｒｅｅ" in span for span in spans)
    assert all(not span.startswith(" ") and not span.endswith(" ") for span in spans)


def test_normalise_keeps_an_index_into_the_original():
    n = normalise("Ｆ r e e Gift")
    assert n.text == "free gift"
    assert n.span(0, 4) == (0, 7)


def test_spans_in_html_point_into_the_html_source():
    html = "<p>Leave a <b>5-star</b> review</p>" + FOOTER
    result = lint(channel="email", locale="en", subject="Hi", body_html=html)
    found = [html[f.start : f.end] for f in result.findings if f.rule == "review.positive"]
    assert found and all(span.startswith("Leave") for span in found)
    assert any("<b>5" in span for span in found), "the span covers the tag it crosses, in the HTML source"


def test_unknown_variables_and_syntax_errors_block_with_spans():
    body = "Hi {{ buyer.email }} {% if x %}" + FOOTER
    result = lint(channel="email", locale="en", subject="Hi", body_text=body)
    rules = {f.rule: body[f.start : f.end] for f in result.findings}
    assert "template.syntax" in rules
    result = lint(channel="email", locale="en", subject="Hi", body_text="Hi {{ buyer.email }}" + FOOTER)
    unknown = [f for f in result.findings if f.rule == "template.unknown_variable"]
    assert unknown and result.blocking
    assert ("Hi {{ buyer.email }}" + FOOTER)[unknown[0].start : unknown[0].end] == "buyer.email"


def test_email_needs_unsubscribe_link_and_postal_address_unless_transactional():
    result = lint(channel="email", locale="en", subject="Hi", body_text="Hello")
    assert {"email.unsubscribe_missing", "email.postal_address_missing"} <= {f.rule for f in result.findings}
    result = lint(channel="email", locale="en", subject="Hi", body_text="Hello", purpose="transactional")
    assert not result.blocking


def test_email_spam_wording_and_capital_subjects_warn_only():
    result = lint(channel="email", locale="en", subject="ACT NOW FOR YOUR ORDER", body_text="Click here!!!" + FOOTER)
    rules = {f.rule: f.severity for f in result.findings}
    assert rules["email.subject_caps"] == "warn"
    assert rules["email.spam_wording"] == "warn"
    assert not result.blocking


def test_amazon_profile_blocks_links_opt_out_marketing_pixels_and_outside_contact():
    html = '<p>Thanks</p><img src="https://t.example/p.gif" width="1" height="1">'
    body = (
        "Thanks! Visit www.acme.com, email help@acme.com, follow us on Instagram. Unsubscribe here. {{ support_link }}"
    )
    result = lint(channel="amazon_solicitation", marketplace="amazon", locale="en", body_text=body, body_html=html)
    rules = {f.rule for f in result.findings}
    assert {
        "amazon.external_link",
        "amazon.contact_outside",
        "amazon.marketing",
        "amazon.opt_out",
        "amazon.remote_content",
    } <= rules
    assert "email.unsubscribe_missing" not in rules


def test_amazon_links_to_amazon_are_allowed():
    result = lint(
        channel="amazon_solicitation",
        marketplace="amazon",
        locale="en",
        body_text="See https://www.amazon.com/gp/css/order-history",
    )
    assert not result.blocking


def test_amazon_buyers_cannot_be_reached_by_our_email():
    result = lint(channel="email", marketplace="amazon", locale="en", subject="Hi", body_text="Hello")
    assert "amazon.channel" in {f.rule for f in result.findings}


def test_sms_needs_brand_and_stop_and_refuses_shorteners():
    result = lint(channel="sms", locale="en", body_text="Review us: bit.ly/abc")
    rules = {f.rule for f in result.findings}
    assert {"sms.brand_missing", "sms.stop_missing", "sms.url_shortener"} <= rules
    ok = lint(
        channel="sms", locale="en", body_text="{{ store.name }}: how was it? {{ review_link }} Reply STOP to opt out"
    )
    assert not ok.blocking
    assert ok.segments.encoding == "GSM-7" and ok.segments.count == 1
    brand = lint(channel="sms", locale="de", body_text="Acme: Wie war es? STOP zum Abmelden", brand_names=["Acme"])
    assert "sms.brand_missing" not in {f.rule for f in brand.findings}


def test_long_sms_warns_with_its_segment_count():
    result = lint(channel="sms", locale="zh-Hans", body_text="【{{ store.name }}】" + "您好" * 120 + " 回复TD退订")
    assert result.segments.encoding == "UCS-2" and result.segments.count > 3
    assert ("sms.segments", "warn") in {(f.rule, f.severity) for f in result.findings}


def test_whatsapp_marketing_to_the_us_warns():
    body = "Hi {{ buyer.first_name }}, how was your order? {{ review_link }}"
    assert "whatsapp.us_marketing" in {
        f.rule for f in lint(channel="whatsapp", locale="en", body_text=body, countries=["US"]).findings
    }
    assert "whatsapp.us_marketing" not in {
        f.rule for f in lint(channel="whatsapp", locale="en", body_text=body, countries=["DE"]).findings
    }


def test_messages_are_in_english_and_chinese():
    with translation.override("zh-hans"):
        result = lint(channel="sms", locale="en", body_text="hello")
    message = next(f.message for f in result.findings if f.rule == "sms.stop_missing")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_bad_input_is_refused_clearly():
    with pytest.raises(LintInputError, match="channel"):
        lint(channel="pigeon", locale="en")
    with pytest.raises(LintInputError, match="marketplace"):
        lint(channel="email", marketplace="bazaar", locale="en")
    with pytest.raises(LintInputError, match="BCP 47"):
        lint(channel="email", locale="not a locale!")


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count two: 160 septets
        ("€" * 81, "GSM-7", 2),
        ("^" * 77 + "a", "GSM-7", 1),
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 2),  # the escape pair is not split across parts
        ("a" * 152 + "^" + "a" * 153, "GSM-7", 3),
        ("é" * 160, "GSM-7", 1),  # é is in the basic set
        ("ç" * 70, "UCS-2", 1),  # lower-case ç is not
        ("你" * 70, "UCS-2", 1),
        ("你" * 71, "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("a" * 66 + "😀" + "a" * 67, "UCS-2", 3),  # a surrogate pair is not split either
    ],
)
def test_sms_segment_counting_edge_cases(text, encoding, count):
    segments = count_segments(text)
    assert (segments.encoding, segments.count) == (encoding, count)
