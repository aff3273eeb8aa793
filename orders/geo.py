"""Countries, regions, languages and time zones of buyers, derived when a source does not say.

Sending windows are in the buyer's local time, so a buyer without a time zone gets one from their
state or province, else from their phone number (libphonenumber knows US area codes), else from the
country's main zone. Country names in English or Chinese ("Germany", "德国") are read as ISO codes.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as phone_timezones

# The zone most of a country's buyers live in (single-zone countries and the main zone of the others).
COUNTRY_TIME_ZONE = {
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "CO": "America/Bogota", "PE": "America/Lima",
    "GB": "Europe/London", "IE": "Europe/Dublin", "DE": "Europe/Berlin", "FR": "Europe/Paris", "ES": "Europe/Madrid",
    "IT": "Europe/Rome", "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
    "AT": "Europe/Vienna", "CH": "Europe/Zurich", "PT": "Europe/Lisbon", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki", "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest", "RO": "Europe/Bucharest",
    "BG": "Europe/Sofia", "GR": "Europe/Athens", "HR": "Europe/Zagreb", "SI": "Europe/Ljubljana",
    "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius", "UA": "Europe/Kyiv",
    "TR": "Europe/Istanbul", "RU": "Europe/Moscow", "IL": "Asia/Jerusalem", "AE": "Asia/Dubai",
    "SA": "Asia/Riyadh", "EG": "Africa/Cairo", "ZA": "Africa/Johannesburg", "NG": "Africa/Lagos",
    "IN": "Asia/Kolkata", "CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "TW": "Asia/Taipei",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "SG": "Asia/Singapore", "MY": "Asia/Kuala_Lumpur",
    "TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh", "PH": "Asia/Manila", "ID": "Asia/Jakarta",
    "AU": "Australia/Sydney", "NZ": "Pacific/Auckland",
}  # fmt: skip

_EASTERN = ["CT", "DE", "DC", "FL", "GA", "ME", "MD", "MA", "NH", "NJ", "NY", "NC", "OH", "PA", "RI", "SC", "VT",
            "VA", "WV", "MI", "IN", "KY"]  # fmt: skip
_CENTRAL = ["AL", "AR", "IL", "IA", "LA", "MN", "MS", "MO", "OK", "WI", "TX", "KS", "NE", "SD", "ND", "TN"]
US_STATE_TIME_ZONE = {
    **dict.fromkeys(_EASTERN, "America/New_York"),
    **dict.fromkeys(_CENTRAL, "America/Chicago"),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY", "ID"], "America/Denver"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(["CA", "NV", "OR", "WA"], "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
}
CA_PROVINCE_TIME_ZONE = {
    "ON": "America/Toronto", "QC": "America/Toronto", "BC": "America/Vancouver", "AB": "America/Edmonton",
    "MB": "America/Winnipeg", "SK": "America/Regina", "NS": "America/Halifax", "NB": "America/Moncton",
    "NL": "America/St_Johns", "PE": "America/Halifax", "YT": "America/Whitehorse", "NT": "America/Yellowknife",
    "NU": "America/Iqaluit",
}  # fmt: skip
AU_STATE_TIME_ZONE = {
    "NSW": "Australia/Sydney", "ACT": "Australia/Sydney", "VIC": "Australia/Melbourne",
    "QLD": "Australia/Brisbane", "SA": "Australia/Adelaide", "WA": "Australia/Perth",
    "TAS": "Australia/Hobart", "NT": "Australia/Darwin",
}  # fmt: skip
REGION_TIME_ZONE = {"US": US_STATE_TIME_ZONE, "CA": CA_PROVINCE_TIME_ZONE, "AU": AU_STATE_TIME_ZONE}

# A buyer's language when the source does not give one (the store's default applies elsewhere).
COUNTRY_LANGUAGE = {
    "DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "fr", "LU": "fr", "ES": "es", "MX": "es", "AR": "es",
    "CL": "es", "CO": "es", "PE": "es", "IT": "it", "NL": "nl", "PT": "pt", "BR": "pt", "PL": "pl", "SE": "sv",
    "DK": "da", "NO": "nb", "FI": "fi", "CZ": "cs", "JP": "ja", "KR": "ko", "CN": "zh-hans", "TW": "zh-hant",
    "HK": "zh-hant", "TR": "tr", "RU": "ru", "US": "en", "GB": "en", "IE": "en", "CA": "en", "AU": "en",
    "NZ": "en", "SG": "en", "IN": "en",
}  # fmt: skip


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for locale in ("en", "zh_Hans", "de", "fr", "es", "ja"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(_fold(name), code)
    names.update({_fold(k): v for k, v in {"USA": "US", "UK": "GB", "Great Britain": "GB", "England": "GB"}.items()})
    return names


def country_code(raw: str) -> str | None:
    """ISO 3166 alpha-2 from a code or a country name; None when unknown."""
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) == 2 and value.upper() in _country_codes():
        return value.upper()
    return _country_names().get(_fold(value))


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(_country_names().values())


MULTI_ZONE_COUNTRIES = frozenset({"US", "CA", "AU", "BR", "MX", "RU", "ID", "AR", "CL", "KZ"})


def derive_time_zone(*, country: str, region: str = "", phone_e164: str = "") -> str:
    """The buyer's likely zone: the state or province they ship to, else their phone's area (in countries
    with several zones; libphonenumber knows US area codes), else the country's main zone; or ""."""
    by_region = REGION_TIME_ZONE.get(country)
    if by_region and region:
        zone = by_region.get(region.strip().upper())
        if zone:
            return zone
    if phone_e164 and (not country or country in MULTI_ZONE_COUNTRIES):
        try:
            number = phonenumbers.parse(phone_e164, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and (not country or phonenumbers.region_code_for_number(number) == country):
            zones = [z for z in phone_timezones.time_zones_for_number(number) if z in known_time_zones()]
            if len(zones) == 1:
                return zones[0]
    return COUNTRY_TIME_ZONE.get(country, "")


def default_language(country: str, fallback: str) -> str:
    return COUNTRY_LANGUAGE.get(country, fallback)
