"""ISO 3166-1 alpha-2 country codes and their names, from Babel's CLDR data (no extra dependency)."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

ANY_COUNTRY = "*"
# CLDR territories that are groupings or private-use codes, not countries.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    territories = Locale.parse("en").territories
    return frozenset(k for k in territories if len(k) == 2 and k.isalpha() and k not in _NOT_COUNTRIES)


@lru_cache(maxsize=8)
def _names(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


def country_name(code: str, language: str | None = None) -> str:
    if code == ANY_COUNTRY:
        return _("All other countries")
    language = language or get_language() or "en"
    locale = "zh_Hans" if language.lower().startswith("zh") else "en"
    return _names(locale).get(code, code)


def normalise_country(value: str, *, allow_any: bool = False) -> str:
    """'us ' -> 'US'; raises ValidationError for anything that is not a country code (or '*' when allowed)."""
    code = (value or "").strip().upper()
    if allow_any and code == ANY_COUNTRY:
        return code
    if code not in country_codes():
        raise ValidationError(_("%(value)s is not an ISO 3166 country code."), params={"value": value})
    return code


def parse_country_list(text: str) -> list[str]:
    """'US, gb DE' -> ['DE', 'GB', 'US']; every bad code is reported at once."""
    codes, bad = set(), []
    for part in re.split(r"[\s,;]+", text or ""):
        if not part:
            continue
        try:
            codes.add(normalise_country(part))
        except ValidationError:
            bad.append(part)
    if bad:
        raise ValidationError(_("Not ISO 3166 country codes: %(codes)s"), params={"codes": ", ".join(bad)})
    return sorted(codes)
