"""When a message may go out: the campaign's window in the buyer's time zone, with country rules on top.

A message outside its window is deferred to the window's next opening, never dropped. The country rules
are data (one row per country and channel set), applied over the merchant's own window:

- US, SMS and WhatsApp: 08:00-21:00 local (TCPA, 47 CFR 64.1200(c)(1)).
- France, SMS: never on Sundays or public holidays (CNIL / FFTélécoms recommendation for commercial SMS),
  public holidays from the maintained `holidays` package.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

import holidays


@dataclass(frozen=True)
class CountryRule:
    country: str
    channels: frozenset[str]
    earliest: dt.time | None = None
    latest: dt.time | None = None
    no_sundays: bool = False
    no_public_holidays: bool = False
    source: str = ""


COUNTRY_RULES: tuple[CountryRule, ...] = (
    CountryRule("US", frozenset({"sms", "whatsapp"}), dt.time(8, 0), dt.time(21, 0), source="TCPA 47 CFR 64.1200(c)"),
    CountryRule(
        "FR", frozenset({"sms"}), no_sundays=True, no_public_holidays=True, source="CNIL / FFTélécoms commercial SMS"
    ),
)
SEARCH_DAYS = 21  # a window that opens on no day within three weeks is a configuration error


@dataclass(frozen=True)
class Window:
    start: dt.time
    end: dt.time
    days: frozenset[int]  # 0 = Monday


def rules_for(country: str, channel: str) -> list[CountryRule]:
    return [r for r in COUNTRY_RULES if r.country == (country or "").upper() and channel in r.channels]


@lru_cache(maxsize=64)
def _holidays(country: str, year: int):
    return holidays.country_holidays(country, years=year)


def zone(name: str | None, fallback: str = "UTC") -> zoneinfo.ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def _day_bounds(day: dt.date, window: Window, rules: list[CountryRule]) -> tuple[dt.time, dt.time] | None:
    """The local opening and closing time on `day`, or None when nothing may be sent that day."""
    if day.weekday() not in window.days:
        return None
    start, end = window.start, window.end
    for rule in rules:
        if rule.no_sundays and day.weekday() == 6:
            return None
        if rule.no_public_holidays and day in _holidays(rule.country, day.year):
            return None
        if rule.earliest and rule.earliest > start:
            start = rule.earliest
        if rule.latest and rule.latest < end:
            end = rule.latest
    if start >= end:
        return None
    return start, end


def next_opening(
    at: dt.datetime, *, window: Window, tz: zoneinfo.ZoneInfo, country: str, channel: str
) -> dt.datetime | None:
    """The first moment at or after `at` inside the window (aware, UTC); `at` itself when it is inside.

    None when the window never opens (no day chosen, or rules forbid every day searched).
    """
    rules = rules_for(country, channel)
    local = at.astimezone(tz)
    for offset in range(SEARCH_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        bounds = _day_bounds(day, window, rules)
        if bounds is None:
            continue
        opens = dt.datetime.combine(day, bounds[0], tzinfo=tz)
        closes = dt.datetime.combine(day, bounds[1], tzinfo=tz)
        candidate = max(opens, local) if offset == 0 else opens
        if candidate < closes:
            return candidate.astimezone(dt.UTC)
    return None


def is_open(at: dt.datetime, *, window: Window, tz: zoneinfo.ZoneInfo, country: str, channel: str) -> bool:
    opening = next_opening(at, window=window, tz=tz, country=country, channel=channel)
    return opening is not None and opening <= at
