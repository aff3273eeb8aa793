"""The tenant-isolation matrix: every route of the URL resolver, Alice against Bob.

Each app lists its routes in `tests/<app>/tenant_routes.py` (`ROUTES = [Route(...)]`)
and fills both merchants with identical data in `tests/<app>/tenant_world.py`
(`def populate(side: Side) -> None`). `tests/test_tenant_matrix.py` fails when a
named route is missing from every list, so new routes cannot skip the check.

Route kinds:
- "object": a URL naming one of Bob's objects; Alice gets 404 for every method listed.
- "list":   a page or endpoint listing the merchant's rows; Alice gets 200, sees her
            canary and never Bob's.
- "public": reachable without a merchant session (sign-up, health, webhooks verified by
            signature, buyers' signed links); `why` says how it is protected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Side:
    tag: str  # "alice" or "bob"
    merchant: Any
    owner: Any
    api_key: Any
    api_key_plaintext: str
    objects: dict[str, Any] = field(default_factory=dict)

    @property
    def canary(self) -> str:
        return f"canary-{self.tag}-7f3a"


@dataclass
class World:
    alice: Side
    bob: Side


@dataclass
class Route:
    name: str
    kind: str  # "object" | "list" | "public"
    kwargs: Callable[[World], dict] | None = None
    methods: tuple[str, ...] = ("get",)
    query: Callable[[World], dict] | None = None
    body: Callable[[World], dict] | None = None
    why: str = ""

    def __post_init__(self):
        assert self.kind in {"object", "list", "public"}, self.kind
        if self.kind == "public":
            assert self.why, f"{self.name}: say why a public route is safe"

    @property
    def is_api(self) -> bool:
        return self.name.split(":")[0].endswith("-api")
