"""The rule catalogue: code, severity, what is wrong and how to fix it (English and Simplified Chinese).

Which rules apply is chosen by the profiles in `profiles.py` (marketplace, channel,
region); the word and phrase lists behind the language rules are in `data/<lang>.json`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

BLOCK = "block"
WARN = "warn"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: Promise | str
    fix: Promise | str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule(
            "template.syntax",
            BLOCK,
            _("The template has a syntax error."),
            _("Check the {{ … }} and {% … %} tags near the highlighted line: every tag must be closed."),
        ),
        Rule(
            "template.unknown_variable",
            BLOCK,
            _("This variable does not exist."),
            _(
                "Use only buyer.first_name, buyer.last_name, buyer.name, order.number, order.items (title, sku, "
                "quantity), store.name, store.postal_address, review_link, support_link or unsubscribe_link."
            ),
        ),
        Rule(
            "template.unsupported",
            BLOCK,
            _("Templates cannot use this construct."),
            _(
                "Use plain {{ variable }} tags, simple filters such as |upper or |default, {% if %} and "
                "{% for item in order.items %}."
            ),
        ),
        Rule(
            "template.render",
            BLOCK,
            _("The template cannot be rendered with sample data."),
            _("Simplify the template: its output or loops exceed the renderer's limits."),
        ),
        Rule("template.too_long", BLOCK, _("The template is too long."), _("Shorten the text.")),
        Rule(
            "content.empty",
            BLOCK,
            _("The message has no body."),
            _("Write the text of the message."),
        ),
        Rule(
            "incentive.review",
            BLOCK,
            _("This offers something in return for a review (gift, discount, refund, coupon, cash or a prize draw)."),
            _(
                "Remove the incentive. Amazon, the FTC rule on consumer reviews (16 CFR 465) and the EU Omnibus "
                "rules forbid rewarding reviews; ask every buyer for an honest review with nothing in return."
            ),
        ),
        Rule(
            "review.positive",
            BLOCK,
            _("This asks for a positive or five-star review."),
            _("Ask for an honest review instead, without suggesting a rating."),
        ),
        Rule(
            "review.dictate",
            BLOCK,
            _("This tells the buyer what to write in the review."),
            _("Let buyers write their own words: remove the suggested content."),
        ),
        Rule(
            "review.gating",
            BLOCK,
            _("This invites only satisfied buyers to review, or steers unhappy buyers away from reviewing."),
            _(
                "Ask every buyer for a review in the same neutral words. You may offer help separately "
                '("if something is wrong, contact us"), but not instead of a review.'
            ),
        ),
        Rule(
            "review.change",
            BLOCK,
            _("This asks the buyer to change or remove a review."),
            _("Do not ask for reviews to be edited or removed; reply to the review or help the buyer instead."),
        ),
        Rule(
            "amazon.channel",
            BLOCK,
            _("Amazon buyers can only be contacted through Amazon."),
            _("Use the Amazon Request a Review / messaging channel for templates with the Amazon profile."),
        ),
        Rule(
            "amazon.external_link",
            BLOCK,
            _("Amazon messages may not contain links or web addresses other than Amazon's."),
            _("Remove the link or address (review_link, support_link and unsubscribe_link are not allowed either)."),
        ),
        Rule(
            "amazon.opt_out",
            BLOCK,
            _("Amazon messages may not contain unsubscribe or opt-out wording or links."),
            _("Remove it: Amazon manages buyers' messaging preferences."),
        ),
        Rule(
            "amazon.marketing",
            BLOCK,
            _("Amazon messages may not contain marketing or promotional content."),
            _("Remove promotions, other products, newsletters and social-media invitations."),
        ),
        Rule(
            "amazon.remote_content",
            BLOCK,
            _("Amazon messages may not contain remote images, tracking pixels, scripts, forms or attachments."),
            _("Remove the element; send plain text or simple formatting only."),
        ),
        Rule(
            "amazon.contact_outside",
            BLOCK,
            _("Amazon messages may not ask buyers to get in touch outside Amazon."),
            _("Remove email addresses, phone numbers and other contact channels; buyers reply through Amazon."),
        ),
        Rule(
            "ebay.external_link",
            BLOCK,
            _("eBay messages may not contain links or web addresses outside eBay."),
            _("Remove the link or address."),
        ),
        Rule(
            "ebay.contact_outside",
            BLOCK,
            _("eBay messages may not share contact details or invite buyers to get in touch outside eBay."),
            _("Remove email addresses, phone numbers and other contact channels."),
        ),
        Rule(
            "email.subject_missing",
            BLOCK,
            _("An email needs a subject."),
            _("Write a short, plain subject line."),
        ),
        Rule(
            "email.unsubscribe_missing",
            BLOCK,
            _("The email has no unsubscribe link."),
            _("Add {{ unsubscribe_link }} to the body (CAN-SPAM and the EU require a working opt-out)."),
        ),
        Rule(
            "email.postal_address_missing",
            BLOCK,
            _("The email does not show the sender's postal address."),
            _("Add {{ store.postal_address }} to the footer (required by CAN-SPAM)."),
        ),
        Rule(
            "email.spam_wording",
            WARN,
            _("Spam-filter trigger wording."),
            _("Rephrase in plain words; spam filters penalise this wording."),
        ),
        Rule(
            "email.subject_caps",
            WARN,
            _("The subject is mostly in capital letters."),
            _("Write the subject in normal case; capitals look like spam."),
        ),
        Rule(
            "link.shortener",
            WARN,
            _("A URL shortener hides where the link goes."),
            _("Use review_link or support_link, which are tracked and show your own domain."),
        ),
        Rule(
            "sms.url_shortener",
            BLOCK,
            _("Carriers filter SMS with public URL shorteners."),
            _("Use {{ review_link }}: Linkstar's tracked links are not filtered."),
        ),
        Rule(
            "push.title_missing",
            BLOCK,
            _("The push notification has no title."),
            _("Give it a short title, such as your store's name and what happened."),
        ),
        Rule(
            "push.too_long",
            WARN,
            _("Phones cut push titles after about 50 characters and texts after about 150."),
            _("Shorten the title or the text so the whole message shows on the lock screen."),
        ),
        Rule(
            "push.link_invalid",
            BLOCK,
            _("The link must be an https address or one of the link variables."),
            _("Use {{ support_link }}, {{ review_link }} or a full https:// address."),
        ),
        Rule(
            "sms.brand_missing",
            BLOCK,
            _("The SMS does not say who is sending it."),
            _("Start with {{ store.name }} or your brand name."),
        ),
        Rule(
            "sms.stop_missing",
            BLOCK,
            _("The SMS does not say how to opt out."),
            _('Add opt-out wording such as "Reply STOP to opt out" in the buyer\'s language.'),
        ),
        Rule(
            "sms.segments",
            WARN,
            _("The SMS is longer than three segments and is billed per segment."),
            _("Shorten it; characters outside GSM-7 (emoji, CJK, curly quotes) cut a segment to 70 characters."),
        ),
        Rule(
            "whatsapp.us_marketing",
            WARN,
            _("Meta does not deliver WhatsApp marketing templates to US (+1) numbers since April 2025."),
            _("Reach US buyers by email or SMS instead, or use a utility template for transactional messages."),
        ),
    ]
}


def rule(code: str) -> Rule:
    return RULES[code]
