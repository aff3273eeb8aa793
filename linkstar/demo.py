"""Demo data, contributed by each app's `demo.py` (`def load(ctx: DemoContext) -> None`).

Apps load in dependency order; every loader is idempotent, so `manage.py demo`
can run on every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

DEMO_APPS = ["accounts", "orders", "templates_review", "channels", "billing", "reviews", "inserts"]


@dataclass
class DemoContext:
    password: str
    write: Any  # a function that prints a line
    merchants: dict[str, Any] = field(default_factory=dict)  # "zh" and "en"
    users: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (who, email, password)
    extra: dict[str, Any] = field(default_factory=dict)  # anything a later app wants to hand on


def load_demo(ctx: DemoContext) -> DemoContext:
    for app in DEMO_APPS:
        try:
            module = import_module(f"{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.demo":
                raise
            continue
        module.load(ctx)
    return ctx
