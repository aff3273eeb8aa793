"""Periodic jobs, contributed by each app's `periodic.py` (`PERIODIC_TASKS = [...]`).

`manage.py setup_periodic_tasks` (run by setup and by the container's start)
creates the django-celery-beat entries by name. An entry that exists is left
as it is, so a schedule changed or disabled in admin survives.
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import contributions


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    task: str
    every_seconds: int | None = None
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week", UTC
    description: str = ""


def all_specs() -> list[PeriodicSpec]:
    return contributions("periodic", "PERIODIC_TASKS")


def ensure_periodic_tasks() -> list[tuple[str, bool]]:
    """Create missing beat entries; returns (name, created) for each spec."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    results = []
    for spec in all_specs():
        if PeriodicTask.objects.filter(name=spec.name).exists():
            PeriodicTask.objects.filter(name=spec.name).exclude(task=spec.task).update(task=spec.task)
            results.append((spec.name, False))
            continue
        schedule = {}
        if spec.every_seconds:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=spec.every_seconds, period=IntervalSchedule.SECONDS
            )
            schedule["interval"] = interval
        else:
            minute, hour, dom, month, dow = spec.crontab.split()
            cron, _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow, timezone="UTC"
            )
            schedule["crontab"] = cron
        PeriodicTask.objects.create(name=spec.name, task=spec.task, description=spec.description, **schedule)
        results.append((spec.name, True))
    return results
