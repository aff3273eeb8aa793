"""Demo data, contributed by each app's `demo.py` (`def load(ctx: DemoContext) -> None`).

Apps load in dependency order; every loader is idempotent, so `manage.py demo`
can run on every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEMO_APPS = ["accounts", "orders", "templates_review", "channels", "billing", "reviews", "insights", "inserts"]


@dataclass
class DemoContext:
    password: str
    write: Any  # a function that prints a line
    merchants: dict[str, Any] = field(default_factory=dict)  # "zh" and "en"
    users: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (who, email, password)
    extra: dict[str, Any] = field(default_factory=dict)  # anything a later app wants to hand on


def load_demo(ctx: DemoContext) -> DemoContext:
    from .registry import app_module

    for app in DEMO_APPS:
        module = app_module(app, "demo")
        if module is not None:
            module.load(ctx)
    return ctx
