"""Text normalisation that keeps offsets, so a rule is hard to dodge and its span points into the original.

Steps, each character remembering where it came from: drop zero-width and soft-hyphen
characters; NFKC (full-width forms, ligatures, circled and styled letters); case folding;
accents removed from Latin letters (ü -> u, ł -> l; Japanese kana keep their marks);
Cyrillic and Greek look-alikes mapped to Latin; digits standing in for letters inside
words ("fr33", "g1ft"); whitespace collapsed; letters spaced or dotted apart rejoined
("f r e e", "F.R.E.E" -> "free").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_DROP = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u034f"}
_EXTRA = {
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ß": "ss",
    # look-alikes from Cyrillic and Greek (none of the buyers' languages is written in them)
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ο": "o", "α": "a", "ν": "v",
    "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u", "ε": "e", "β": "b", "η": "n", "μ": "u", "ѵ": "v",
    # typographic quotes and dashes
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"',
    "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
}  # fmt: skip
_NEWLINES = {"\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"}
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_SPACE = re.compile(r"\s")
# Three or more single letters with separators between them: "f r e e", "f.r.e.e", "f-r-e-e".
_SPACED = re.compile(r"(?<!\w)[^\W\d_](?:[ .\-_*·•+/|]{1,3}[^\W\d_]){2,}(?!\w)")
_SPACED_SEPARATOR = re.compile(r"[ .\-_*·•+/|]")
# A word that starts with letters and has digits standing in for letters: "fr33", "g1ft", "c0up0n".
_LEET_WORD = re.compile(r"(?<![\w])[a-z]+[0-9][a-z0-9]*(?![\w])")


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch in _DROP:
        return ""
    if ch in _NEWLINES:
        return "\n"
    if ch in _EXTRA:
        return _EXTRA[ch]
    out = []
    for c in unicodedata.normalize("NFKC", ch).casefold():
        if _SPACE.match(c):
            out.append(" ")
            continue
        if ord(c) < 0x3000:
            c = _EXTRA.get(c, c)
            c = "".join(d for d in unicodedata.normalize("NFD", c) if unicodedata.category(d) != "Mn")
        out.append(c)
    return "".join(out)


@dataclass(frozen=True)
class Normalised:
    text: str
    index: tuple[int, ...]  # index[i] is the offset in the original of text[i]
    joined: tuple[tuple[int, int], ...] = ()  # spans of text rejoined from spaced-out letters

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of text[start:end]."""
        if not self.index:
            return 0, 0
        start = min(start, len(self.index) - 1)
        end = max(end, start + 1)
        return self.index[start], self.index[min(end, len(self.index)) - 1] + 1


def fold(text: str) -> str:
    """Normalise a word list entry the way text is normalised (no offsets, no spacing repair)."""
    return "".join(_fold_char(c) for c in text)


def normalise(text: str, index: list[int] | None = None) -> Normalised:
    """`index` maps each character of `text` to an offset in the original (identity when None)."""
    chars: list[str] = []
    where: list[int] = []
    previous_space = True
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        origin = index[i] if index is not None else i
        for c in folded:
            if c == " ":
                if previous_space:
                    continue
                previous_space = True
            elif c == "\n":
                if chars and chars[-1] == " ":
                    chars[-1] = "\n"
                    continue
                previous_space = True
            else:
                previous_space = False
            chars.append(c)
            where.append(origin)
    out = "".join(chars)

    if any(c.isdigit() for c in out):

        def _leet(match: re.Match) -> str:
            word = match.group(0)
            return word if word.isdigit() else word.translate(_LEET)

        out = _LEET_WORD.sub(_leet, out)  # same length: offsets unchanged

    joined: list[tuple[int, int]] = []
    if _SPACED.search(out):
        keep = [True] * len(out)
        for match in _SPACED.finditer(out):
            for j in range(match.start(), match.end()):
                if _SPACED_SEPARATOR.match(out[j]):
                    keep[j] = False
        new_pos = []
        count = 0
        for k in keep:
            new_pos.append(count)
            count += k
        for match in _SPACED.finditer(out):
            joined.append((new_pos[match.start()], new_pos[match.end() - 1] + 1))
        out = "".join(c for c, k in zip(out, keep, strict=True) if k)
        where = [w for w, k in zip(where, keep, strict=True) if k]
    return Normalised(out, tuple(where), tuple(joined))


_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_HTML_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)


def visible_text(source: str, masks: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """The source with `masks` (template tags, HTML tags) replaced by one space, entities decoded, offsets kept."""
    import html

    chars: list[str] = []
    index: list[int] = []
    pos = 0
    for start, end in sorted(masks):
        if start < pos:
            continue
        chars.extend(source[pos:start])
        index.extend(range(pos, start))
        chars.append(" ")
        index.append(start)
        pos = end
    chars.extend(source[pos:])
    index.extend(range(pos, len(source)))
    text = "".join(chars)
    if "&" not in text:
        return text, index
    out: list[str] = []
    out_index: list[int] = []
    pos = 0
    for match in _ENTITY.finditer(text):
        out.extend(text[pos : match.start()])
        out_index.extend(index[pos : match.start()])
        decoded = html.unescape(match.group(0))
        out.extend(decoded)
        out_index.extend([index[match.start()]] * len(decoded))
        pos = match.end()
    out.extend(text[pos:])
    out_index.extend(index[pos:])
    return "".join(out), out_index


def html_tag_spans(source: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _HTML_TAG.finditer(source)]
