"""The labelled corpus (corpus/*.tsv, 11 languages): ≥ 95 % of violations blocked, ≤ 5 % of clean messages."""

from collections import Counter

from tests.templates_review.corpus import load, score

GOAL_BLOCKED = 0.95
GOAL_FALSE_BLOCKS = 0.05


def test_the_corpus_covers_every_language_with_both_labels():
    samples = load()
    by_locale = Counter((s.locale, s.label) for s in samples)
    for locale in ("en", "de", "fr", "es", "it", "ja", "pt", "nl", "zh-Hans", "pl", "sv"):
        assert by_locale[(locale, "V")] >= 15 and by_locale[(locale, "C")] >= 10, locale


def test_the_linter_blocks_violations_and_lets_clean_messages_through():
    scores = score(load())
    missed = "\n".join(f"  {s.locale}:{s.line} {s.text}" for s in scores.missed)
    false = "\n".join(f"  {s.locale}:{s.line} {rules} {s.text}" for s, rules in scores.false_blocks)
    assert scores.recall >= GOAL_BLOCKED, f"blocked {scores.recall:.1%} of violations; missed:\n{missed}"
    assert scores.false_block_rate <= GOAL_FALSE_BLOCKS, f"blocked {scores.false_block_rate:.1%} of clean:\n{false}"


def test_every_starter_template_is_clean():
    from templates_review.linting import lint
    from templates_review.starters import STARTERS

    for starter in STARTERS:
        result = lint(
            channel=starter["channel"],
            marketplace=starter["marketplace"],
            locale=starter["locale"],
            purpose=starter["purpose"],
            subject=starter["subject"],
            body_text=starter["body_text"],
        )
        assert not result.findings, (starter["key"], result.as_dict())
