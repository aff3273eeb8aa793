"""`lint()`: every rule of the applicable profiles over a template's three fields.

Language rules run on normalised text (template tags and HTML tags masked, entities
decoded) in every supported language at once, so switching language or mixing in
English does not dodge them; spans are mapped back to the original field. When tags
print string constants, the rules also run on a sample rendering, so text split across
`{{ "fr" ~ "ee" }}` is caught too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .. import rendering
from . import phrases
from .normalise import Normalised, fold, html_tag_spans, normalise, visible_text
from .profiles import known_channels, known_marketplaces, rules_for
from .rules import BLOCK, RULES
from .segments import Segments, count_segments

FIELDS = ("subject", "body_text", "body_html", "link")
PUSH_TITLE_CHARS = 50
PUSH_TEXT_CHARS = 150
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_SENTENCE_END = re.compile(r"[.!?;\n。！？；]+")

_TLDS = (
    "com|net|org|info|biz|io|co|de|fr|es|it|nl|pl|se|pt|uk|eu|jp|cn|us|ca|au|at|ch|be|dk|no|fi|ie|shop|store|"
    "online|site|app|xyz|me|ly|gl|gd|to|cc|ai|tv|link|page|top|club|vip|website|tech|ru|in|br|mx|hk|tw|kr"
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<![\w@.\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")(?![\w\-])(?:/[^\s<>\"']*)?"
    r"|(?<!\w)[a-z0-9\-]+\s?(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\spunkt\s|\spoint\s|\spunto\s)\s?(?:"
    + _TLDS
    + r")(?!\w)"
)
_EMAIL = re.compile(
    r"[\w.+\-]+\s?(?:@|\(at\)|\[at\]|\{at\}|\sat\s)\s?[\w\-]+(?:\s?(?:\.|\(dot\)|\[dot\]|\sdot\s)\s?[\w\-]+)+"
)
_PHONE = re.compile(r"(?:(?<!\w)(?:\+|00)\d[\d\s().\-]{6,}\d|\(\d{2,5}\)\s?\d[\d\s.\-]{4,}\d|(?<!\w)tel:\s?\+?\d+)")
_SHORTENERS = re.compile(
    r"(?<![\w.\-])(?:bit\.ly|bitly\.com|tinyurl\.com|goo\.gl|t\.co|ow\.ly|is\.gd|buff\.ly|rebrand\.ly|cutt\.ly|"
    r"shorturl\.at|tiny\.cc|rb\.gy|t\.ly|bl\.ink|s\.id|v\.gd|lnkd\.in|dwz\.cn|t\.cn|url\.cn|suo\.im|amzn\.to|"
    r"shorte\.st|adf\.ly|qr\.net|1url\.com|tr\.im|short\.io|urlz\.fr|kurzelinks\.de)(?![\w\-])"
)
_REMOTE = re.compile(
    r"<\s*(?:img|iframe|script|object|embed|form|input|link|video|audio|source|svg|meta|base|frame)\b"
    r"|\sbackground\s*=|url\s*\(|\ssrcset\s*=",
    re.I,
)
_ALLOWED_LINK_HOSTS = {
    "amazon": re.compile(r"^(?:https?://)?(?:[\w\-]+\.)*amazon\.(?:com|co\.uk|de|fr|es|it|nl|pl|se|co\.jp|ca|com\.au|com\.mx|com\.br|in|com\.be|com\.tr|sa|ae|sg)(?:[/?#]|$)"),
    "ebay": re.compile(r"^(?:https?://)?(?:[\w\-]+\.)*ebay\.(?:com|co\.uk|de|fr|es|it|nl|pl|com\.au|ca|at|ch|ie|be)(?:[/?#]|$)"),
}  # fmt: skip


class LintInputError(ValueError):
    """Input the linter cannot work with (unknown channel, marketplace or locale)."""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    fix: str
    field: str
    start: int
    end: int

    def as_dict(self, *, with_fix: bool = True) -> dict:
        out = {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "start": self.start,
            "end": self.end,
        }
        if with_fix:
            out["fix"] = self.fix
        return out


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    segments: Segments | None = None

    @property
    def blocking(self) -> bool:
        return any(f.severity == BLOCK for f in self.findings)

    def as_dict(self, *, with_fix: bool = True) -> dict:
        return {
            "blocking": self.blocking,
            "findings": [f.as_dict(with_fix=with_fix) for f in self.findings],
            "segments": self.segments.as_dict() if self.segments else None,
        }


@dataclass
class _Field:
    name: str
    source: str
    norm: Normalised
    sentences: list[tuple[int, int]]


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _prepare(name: str, source: str, text: str | None = None) -> _Field:
    """Mask template tags (and HTML tags), normalise, keep offsets into `source`."""
    if text is None:
        masks = rendering.tag_spans(source)
        if name == "body_html":
            masks += html_tag_spans(source)
        visible, index = visible_text(source, masks)
        norm = normalise(visible, index)
    else:
        norm = normalise(text)
    return _Field(name, source, norm, _sentences(norm.text))


def _spans(key: str, norm: Normalised, languages: tuple[str, ...]) -> list[tuple[int, int]]:
    text = norm.text
    if key.endswith("_except"):
        regex = phrases.compiled_overlapping(key, languages)
        if regex is None or not text:
            return []
        return [m.span(1) for m in regex.finditer(text) if m.end(1) > m.start(1)]
    regex = phrases.compiled(key, languages)
    if regex is None or not text:
        return []
    found = [(m.start(), m.end()) for m in regex.finditer(text) if m.end() > m.start()]
    if norm.joined:
        # "f r e e g i f t" became "freegift": inside rejoined letters, words have no boundaries.
        loose = phrases.compiled(key, languages, bounded=False)
        for start, end in norm.joined:
            found.extend((m.start(), m.end()) for m in loose.finditer(text, start, end) if m.end() > m.start())
    return found


def _overlaps(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] < o[1] and o[0] < span[1] for o in others)


def _sentence_index(sentences: list[tuple[int, int]], pos: int) -> int:
    for i, (start, end) in enumerate(sentences):
        if start <= pos < end:
            return i
    return len(sentences) - 1


class _Collector:
    def __init__(self, active: frozenset[str]) -> None:
        self.active = active
        self.items: dict[tuple, Finding] = {}

    def add(self, code: str, field_name: str, start: int, end: int) -> None:
        if code not in self.active:
            return
        key = (code, field_name, start, end)
        if key in self.items:
            return
        rule = RULES[code]
        self.items[key] = Finding(code, rule.severity, str(rule.message), str(rule.fix), field_name, start, end)

    def add_norm(self, code: str, f: _Field, span: tuple[int, int]) -> None:
        start, end = f.norm.span(*span)
        self.add(code, f.name, start, end)

    def codes_for(self, field_name: str) -> set[str]:
        return {k[0] for k in self.items if k[1] == field_name}


def _language_rules(fields: list[_Field], languages: tuple[str, ...], out: _Collector) -> None:
    review_by_field = {f.name: _spans("review", f.norm, languages) for f in fields}
    has_review = any(review_by_field.values())
    for f in fields:
        text = f.norm.text
        if not text.strip():
            continue
        reviews = review_by_field[f.name]
        review_sentences = {_sentence_index(f.sentences, s) for s, _e in reviews}

        exceptions = _spans("incentive_except", f.norm, languages)
        if has_review:
            for span in _spans("incentive_strong", f.norm, languages):
                if not _overlaps(span, exceptions):
                    out.add_norm("incentive.review", f, span)
        for span in _spans("incentive_weak", f.norm, languages):
            if _sentence_index(f.sentences, span[0]) in review_sentences and not _overlaps(span, exceptions):
                out.add_norm("incentive.review", f, span)

        positive_exceptions = _spans("positive_except", f.norm, languages)
        for span in _spans("positive", f.norm, languages):
            if not _overlaps(span, positive_exceptions):
                out.add_norm("review.positive", f, span)
        for span in _spans("dictate", f.norm, languages):
            out.add_norm("review.dictate", f, span)

        gating_exceptions = _spans("gating_except", f.norm, languages) + positive_exceptions
        for span in _spans("gating", f.norm, languages):
            if not _overlaps(span, gating_exceptions):
                out.add_norm("review.gating", f, span)
        for span in _spans("gating_condition", f.norm, languages):
            sentence = _sentence_index(f.sentences, span[0])
            if (sentence in review_sentences or sentence + 1 in review_sentences) and not _overlaps(
                span, gating_exceptions
            ):
                out.add_norm("review.gating", f, span)

        for span in _spans("change", f.norm, languages):
            out.add_norm("review.change", f, span)
        for span in _spans("marketing", f.norm, languages):
            out.add_norm("amazon.marketing", f, span)
        for span in _spans("opt_out", f.norm, languages):
            out.add_norm("amazon.opt_out", f, span)
        for span in _spans("spam", f.norm, languages):
            out.add_norm("email.spam_wording", f, span)


def _link_rules(fields: list[_Field], market: str, out: _Collector) -> None:
    allowed = _ALLOWED_LINK_HOSTS.get(market)
    for f in fields:
        text = f.norm.text
        for match in _URL.finditer(text):
            if allowed is not None and allowed.match(match.group(0)):
                continue
            out.add_norm(f"{market}.external_link", f, match.span())
        for match in _EMAIL.finditer(text):
            out.add_norm(f"{market}.contact_outside", f, match.span())
        for match in _PHONE.finditer(text):
            out.add_norm(f"{market}.contact_outside", f, match.span())
        for span in _spans("contact_outside", f.norm, phrases.LANGUAGES):
            out.add_norm(f"{market}.contact_outside", f, span)
        if f.name == "body_html":
            for match in re.finditer(r"href\s*=\s*[\"']?([^\"'\s>]+)", f.source, re.I):
                target = match.group(1)
                if target.startswith("{{") or (allowed is not None and allowed.match(target)):
                    continue
                out.add(f"{market}.external_link", f.name, match.start(1), match.end(1))


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _languages_for(sources: dict[str, str], locale: str) -> tuple[str, ...]:
    """The template's language and English (mixed-in English is common), plus Japanese and Chinese
    whenever the text has their characters; a locale without lists gets every Latin-script list."""
    base = next((lang for lang in phrases.LANGUAGES if lang.lower() == locale.lower()), None)
    if base is None:
        base = next((lang for lang in phrases.LANGUAGES if lang.split("-")[0] == locale.split("-")[0].lower()), None)
    if base is None:
        chosen = {lang for lang in phrases.LANGUAGES if lang not in phrases.UNBOUNDED}
    else:
        chosen = {base, "en"}
    if any(_CJK.search(s) for s in sources.values()):
        chosen |= phrases.UNBOUNDED
    return tuple(lang for lang in phrases.LANGUAGES if lang in chosen)


def _variable_span(source: str, variable: str) -> tuple[int, int] | None:
    pattern = rendering._path_pattern(variable.split("."))
    for start, end in rendering.tag_spans(source):
        match = re.compile(pattern).search(source, start, end)
        if match:
            return start, end
    return None


def _has_constants(source: str) -> bool:
    return any(re.search(r"['\"0-9]", source[s:e]) for s, e in rendering.tag_spans(source))


def _has_constant_output(source: str) -> bool:
    return any(("'" in source[s:e] or '"' in source[s:e]) for s, e in rendering.tag_spans(source))


def lint(
    *,
    channel: str,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    marketplace: str | None = None,
    locale: str = "en",
    purpose: str | None = None,
    countries: Iterable[str] = (),
    brand_names: Iterable[str] = (),
    link: str = "",
) -> LintResult:
    """Lint one template; `purpose` None is treated as a review request (the strictest).

    `countries` are the ISO codes a campaign targets (WhatsApp to the US warns);
    `brand_names` are literal names that count as the SMS sender's brand besides {{ store.name }}.
    `link` is a push message's tap target (a link variable or an https address).
    """
    if channel not in known_channels():
        raise LintInputError(_("Unknown channel %(channel)s.") % {"channel": channel})
    if marketplace is not None and marketplace not in known_marketplaces():
        raise LintInputError(_("Unknown marketplace %(marketplace)s.") % {"marketplace": marketplace})
    if not isinstance(locale, str) or not _BCP47.match(locale):
        raise LintInputError(_("The locale must be a BCP 47 language tag such as en, de or zh-Hans."))
    sources = {"subject": subject or "", "body_text": body_text or "", "body_html": body_html or "", "link": link or ""}
    for name, value in sources.items():
        if not isinstance(value, str):
            raise LintInputError(_("%(field)s must be text.") % {"field": name})
    country_set = frozenset(c.upper() for c in countries)
    active = rules_for(channel=channel, marketplace=marketplace, purpose=purpose, countries=country_set)
    out = _Collector(active)
    languages = _languages_for(sources, locale)

    # Template syntax, variables, sandbox.
    broken = False
    for name, source in sources.items():
        for problem in rendering.check_source(source, name == "body_html") if source else ():
            broken = True
            code = {
                "syntax": "template.syntax",
                "unknown_variable": "template.unknown_variable",
                "too_long": "template.too_long",
            }.get(problem.code, "template.unsupported")
            out.add(code, name, problem.start, problem.end)

    fields = [_prepare(name, source) for name, source in sources.items() if source]
    _language_rules(fields, languages, out)

    # Render with sample data when it can tell something: SMS length, text hidden in constants, limits.
    rendered: rendering.RenderedMessage | None = None
    needs_render = channel == "sms" or any(_has_constants(s) for s in sources.values())
    if not broken and needs_render:
        try:
            rendered = rendering.render_source(
                context=rendering.sample_context(locale=locale, store_name=next(iter(brand_names), "")),
                **{k: v for k, v in sources.items() if k != "link"},
            )
        except rendering.RenderError:
            out.add("template.render", "body_text" if sources["body_text"] else "body_html", 0, 0)

    # Text hidden in string constants ({{ "fr" ~ "ee" }}): lint the sample rendering as well.
    if rendered is not None and any(_has_constant_output(s) for s in sources.values()):
        shadow = _Collector(active)
        rendered_fields = {"subject": rendered.subject, "body_text": rendered.text, "body_html": rendered.html}
        prepared = []
        for name, text in rendered_fields.items():
            if not text:
                continue
            if name == "body_html":
                visible, index = visible_text(text, html_tag_spans(text))
                prepared.append(_Field(name, text, normalise(visible, index), []))
                prepared[-1].sentences.extend(_sentences(prepared[-1].norm.text))
            else:
                prepared.append(_prepare(name, text, text))
        _language_rules(prepared, languages, shadow)
        for code, name, _s, _e in list(shadow.items):
            if code not in out.codes_for(name):
                tag = next(
                    (
                        (s, e)
                        for s, e in rendering.tag_spans(sources[name])
                        if "'" in sources[name][s:e] or '"' in sources[name][s:e]
                    ),
                    (0, 0),
                )
                out.add(code, name, tag[0], tag[1])

    bodies = [f for f in ("body_text", "body_html") if sources[f].strip()]
    if not bodies:
        out.add("content.empty", "body_text", 0, 0)

    markets = {m for m in (marketplace, "amazon" if channel == "amazon_solicitation" else None) if m}
    if "amazon" in markets and channel in {"email", "sms", "whatsapp"}:
        out.add("amazon.channel", "channel", 0, 0)
    for market in markets & {"amazon", "ebay"}:
        _link_rules(fields, market, out)
        for name in bodies:
            for variable in rendering.LINK_VARIABLES:
                span = _variable_span(sources[name], variable)
                if span:
                    out.add(f"{market}.external_link", name, *span)
            span = _variable_span(sources[name], "unsubscribe_link")
            if span and market == "amazon":
                out.add("amazon.opt_out", name, *span)
        if market == "amazon" and sources["body_html"]:
            for match in _REMOTE.finditer(sources["body_html"]):
                out.add("amazon.remote_content", "body_html", match.start(), match.end())

    # Channel structure.
    if channel == "email" and not sources["subject"].strip():
        out.add("email.subject_missing", "subject", 0, 0)
    for name in bodies:
        used = rendering.variables_used(sources[name])
        if "unsubscribe_link" not in used:
            out.add("email.unsubscribe_missing", name, 0, 0)
        if "store.postal_address" not in used:
            out.add("email.postal_address_missing", name, 0, 0)
    if sources["subject"] and "email.subject_caps" in active:
        letters = [c for c in re.sub(r"\{\{.*?\}\}", "", sources["subject"]) if c.isalpha() and c.lower() != c.upper()]
        if len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) >= 0.7:
            out.add("email.subject_caps", "subject", 0, len(sources["subject"]))
    for f in fields:
        for match in re.finditer(r"!{3,}|\${2,}|€{2,}", f.norm.text):
            out.add_norm("email.spam_wording", f, match.span())
        for match in _SHORTENERS.finditer(f.norm.text):
            out.add_norm("link.shortener", f, match.span())
            out.add_norm("sms.url_shortener", f, match.span())

    segments = None
    if channel == "sms":
        text_field = next((f for f in fields if f.name == "body_text"), None)
        used = rendering.variables_used(sources["body_text"])
        brands = [fold(b) for b in brand_names if b and b.strip()]
        if text_field is not None and "store.name" not in used and not any(b in text_field.norm.text for b in brands):
            out.add("sms.brand_missing", "body_text", 0, 0)
        if text_field is None or not _spans("stop", text_field.norm, languages):
            out.add("sms.stop_missing", "body_text", 0, 0)
        segments = count_segments(rendered.text if rendered is not None else sources["body_text"])
        if segments.count > 3:
            out.add("sms.segments", "body_text", 0, len(sources["body_text"]))
    if channel == "whatsapp":
        out.add("whatsapp.us_marketing", "body_text", 0, 0)
    if channel == "push":
        if not sources["subject"].strip():
            out.add("push.title_missing", "subject", 0, 0)
        if len(sources["subject"]) > PUSH_TITLE_CHARS:
            out.add("push.too_long", "subject", PUSH_TITLE_CHARS, len(sources["subject"]))
        if len(sources["body_text"]) > PUSH_TEXT_CHARS:
            out.add("push.too_long", "body_text", PUSH_TEXT_CHARS, len(sources["body_text"]))
        target = sources["link"].strip()
        if target and not (
            re.fullmatch(r"\{\{\s*(review_link|support_link)\s*\}\}", target)
            or re.fullmatch(r"https://[^\s{}<>\"']+", target)
        ):
            out.add("push.link_invalid", "link", 0, len(sources["link"]))

    order = {name: i for i, name in enumerate(("channel", *FIELDS))}
    findings = sorted(out.items.values(), key=lambda f: (order.get(f.field, 9), f.start, f.end, f.rule))
    return LintResult(findings=findings, segments=segments)
