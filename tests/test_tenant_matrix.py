"""Every route of the URL resolver, Alice against Bob (see tests/tenancy.py)."""

from importlib import import_module
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import api_client_for, logged_in_client
from tests.tenancy import Route

ADMIN_NAMESPACE = "admin"  # staff only; covered by tests/accounts/test_admin.py


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, full)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def resolver_routes() -> dict[str, URLPattern]:
    routes = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        if name is not None and name.split(":")[0] == ADMIN_NAMESPACE:
            continue
        routes[name if name else f"<unnamed {pattern.pattern}>"] = pattern
    return routes


def declared_routes() -> list[Route]:
    routes = []
    for path in sorted(Path(__file__).parent.glob("*/tenant_routes.py")):
        routes.extend(import_module(f"tests.{path.parent.name}.tenant_routes").ROUTES)
    return routes


ROUTES = declared_routes()


def test_every_route_is_in_the_tenant_matrix():
    declared = {r.name for r in ROUTES}
    missing = sorted(set(resolver_routes()) - declared)
    assert not missing, f"routes missing from tests/*/tenant_routes.py: {missing}"


def test_the_matrix_names_no_route_that_does_not_exist():
    stale = sorted({r.name for r in ROUTES} - set(resolver_routes()))
    assert not stale, f"tenant_routes.py lists routes that no longer exist: {stale}"


def _client(route, side):
    return api_client_for(side.api_key_plaintext) if route.is_api else logged_in_client(side.owner)


def _request(client, method, url, route, world, is_api):
    data = route.body(world) if route.body else {}
    if route.query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(route.query(world))}"
    if method == "get":
        return client.get(url)
    if is_api:
        return getattr(client, method)(url, data, format="json")
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "object"], ids=lambda r: r.name)
@pytest.mark.django_db
def test_another_merchants_object_is_not_found(route, world):
    url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)
    client = _client(route, world.alice)
    for method in route.methods:
        response = _request(client, method, url, route, world, route.is_api)
        assert response.status_code == 404, f"{method.upper()} {url} as Alice answered {response.status_code}"
        assert world.bob.canary.encode() not in response.content


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "list"], ids=lambda r: r.name)
@pytest.mark.django_db
def test_lists_show_only_the_merchants_own_rows(route, world):
    url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)
    response = _request(_client(route, world.alice), "get", url, route, world, route.is_api)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert world.bob.canary.encode() not in body
    assert world.alice.canary.encode() in body, "the page should show Alice's own data"
