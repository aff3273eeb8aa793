"""Billing periods: UTC calendar days and months, whatever the merchant's time zone.

One clock for every merchant keeps statements, caps and the beat job that
closes months in agreement (providers bill us in UTC too).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def utc(moment: dt.datetime | None = None) -> dt.datetime:
    return (moment or timezone.now()).astimezone(dt.UTC)


def day_of(moment: dt.datetime | None = None) -> dt.date:
    return utc(moment).date()


def month_of(moment: dt.datetime | dt.date | None = None) -> dt.date:
    if isinstance(moment, dt.datetime) or moment is None:
        moment = day_of(moment)
    return moment.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month as aware UTC datetimes."""
    start = dt.datetime.combine(month.replace(day=1), dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(next_month(month), dt.time.min, tzinfo=dt.UTC)
    return start, end


def parse_month(value: str) -> dt.date:
    """'2026-10' -> date(2026, 10, 1); ValueError otherwise."""
    year, _, month = (value or "").strip().partition("-")
    if not (year.isdigit() and month.isdigit() and len(year) == 4 and len(month) in (1, 2)):
        raise ValueError(value)
    return dt.date(int(year), int(month), 1)
