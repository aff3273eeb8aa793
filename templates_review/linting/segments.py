"""SMS segment counting: GSM-7 (extension characters take two septets) or UCS-2.

One segment holds 160 GSM-7 septets or 70 UCS-2 code units; a longer message is sent
as parts of 153 septets or 67 code units (the rest is the concatenation header). An
escape pair or a surrogate pair is never split across two parts. Billing and
campaigns bill SMS per segment with `count_segments`.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7 = "GSM-7"
UCS2 = "UCS-2"


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    per_segment: int  # 160 / 153 or 70 / 67 for this message

    def as_dict(self) -> dict:
        return {"encoding": self.encoding, "count": self.count}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _pack(sizes: list[int], single: int, multi: int) -> int:
    """Parts needed when each character has the given size and none may be split."""
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts += 1
            used = 0
        used += size
    return parts


def count_segments(text: str) -> Segments:
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        count = _pack(sizes, 160, 153)
        return Segments(GSM7, count, sum(sizes), 160 if count <= 1 else 153)
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    count = _pack(sizes, 70, 67)
    return Segments(UCS2, count, sum(sizes), 70 if count <= 1 else 67)
