"""Word and phrase lists, one JSON file per language in `data/`, compiled to regular expressions.

Entries are regular-expression fragments written in the language's ordinary spelling
("Rückerstattung", "avis positif"); letters are folded the way text is (case, accents,
full-width forms), so a list needs no variants for those. Macros:
  {review}  the language's review words (its "review" list)
  {det}     zero to three of the language's determiners/possessives/adjectives ("det" list)
  {gap}     a word separator, or a short stretch of the same sentence
  {cjkgap}  up to 20 characters of the same sentence (Japanese, Chinese)
Latin-script entries match whole words (use \\w* at an end to allow compounds).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .normalise import fold

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "pt", "nl", "zh-Hans", "pl", "sv")
UNBOUNDED = frozenset({"ja", "zh-Hans"})  # no spaces between words
KEYS = (
    "review",
    "det",
    "incentive_strong",
    "incentive_weak",
    "incentive_except",
    "positive",
    "positive_except",
    "dictate",
    "gating",
    "gating_condition",
    "gating_except",
    "change",
    "marketing",
    "opt_out",
    "contact_outside",
    "spam",
    "stop",
)
_MACRO = re.compile(r"\{(review|det|gap|cjkgap)\}")
_GAP = r"(?:\s|\s[^.!?\n。！？]{1,40}?\s)"
_CJKGAP = r"[^.!?\n。！？]{0,20}?"


@cache
def data(language: str) -> dict[str, list[str]]:
    path = DATA_DIR / f"{language}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(raw) - set(KEYS) - {"_comment"}
    if unknown:
        raise ValueError(f"{path.name}: unknown lists {sorted(unknown)}")
    return {key: list(raw.get(key, [])) for key in KEYS}


def fold_pattern(pattern: str) -> str:
    """Fold the letters of a regex fragment, leaving escapes and macros alone."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "{":
            macro = _MACRO.match(pattern, i)
            if macro:
                out.append(macro.group(0))
                i = macro.end()
                continue
        out.append(fold(ch) if ch.isalpha() or not ch.isascii() else ch)
        i += 1
    return "".join(out)


@cache
def _review_group(language: str) -> str:
    terms = [fold_pattern(t) for t in data(language)["review"]]
    return "(?:" + "|".join(terms) + ")" if terms else "(?!)"


@cache
def _det_group(language: str) -> str:
    words = [fold_pattern(t) for t in data(language)["det"]]
    if not words:
        return ""
    return "(?:(?:" + "|".join(words) + r")\s){0,3}"


def expand(pattern: str, language: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name == "review":
            return _review_group(language)
        if name == "det":
            return _det_group(language)
        if name == "gap":
            return _GAP
        return _CJKGAP

    return _MACRO.sub(replace, fold_pattern(pattern))


def alternatives(key: str, languages: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(word-bounded alternatives, unbounded alternatives) of a list across languages."""
    bounded, unbounded = [], []
    for language in languages:
        for entry in data(language)[key]:
            (unbounded if language in UNBOUNDED else bounded).append(expand(entry, language))
    return bounded, unbounded


@cache
def compiled(key: str, languages: tuple[str, ...], bounded: bool = True) -> re.Pattern | None:
    """One regex for a list across languages; `bounded=False` drops word boundaries (for rejoined letters).

    The word-boundary check wraps the whole alternation, so positions inside a word are
    rejected before any alternative is tried.
    """
    words, free = alternatives(key, languages)
    parts = []
    if words:
        body = "|".join(f"(?:{w})" for w in words)
        parts.append(rf"(?<!\w)(?:{body})(?!\w)" if bounded else body)
    if free:
        parts.append("|".join(f"(?:{f})" for f in free))
    if not parts:
        return None
    return re.compile("|".join(parts))


@cache
def compiled_overlapping(key: str, languages: tuple[str, ...]) -> re.Pattern | None:
    """The same list wrapped in a lookahead, so overlapping matches are all found (for exception lists)."""
    regex = compiled(key, languages)
    return re.compile(f"(?=({regex.pattern}))") if regex is not None else None
