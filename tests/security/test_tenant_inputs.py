"""Tenant isolation beyond path arguments (tests/test_tenant_matrix.py covers those).

Alice tries Bob's ids everywhere else a request can carry them:
- the query string of every list page and API list (every id-like parameter name, all at once);
- the body of every API write operation, built from the OpenAPI schema with every id-like field (and bulk
  arrays of them) set to Bob's objects;
- every form of every merchant page she can open (her own pages), with Bob's ids in each field.
No answer may be a 5xx or contain Bob's canary; afterwards no row of Bob's changed and no row anywhere links
one merchant's data to another's. Admin is staff-only: every admin page and action refuses a merchant's user,
and a compliance reviewer sees only templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import F
from django.urls import reverse

from tests.conftest import api_client_for, logged_in_client
from tests.tenancy import World
from tests.test_tenant_matrix import ROUTES

pytestmark = pytest.mark.django_db

ALIASES = {  # request field names -> model names
    "account": "channelaccount",
    "channel_account": "channelaccount",
    "fallback_store": "store",
    "sub": "pushsubscription",
    "subscription": "pushsubscription",
    "version": "templateversion",
    "batch": "cardbatch",
    "template": "messagetemplate",
    "id": "order",
    "pk": "order",
}


def merchant_models():
    from django.db import connection

    tables = set(connection.introspection.table_names())  # test-only models may have no table
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if "merchant" in names and model._meta.managed and model._meta.db_table in tables:
            yield model


def bob_ids(world) -> dict[str, list[int]]:
    """model name -> Bob's primary keys, for every merchant-owned model."""
    ids = {}
    for model in merchant_models():
        pks = list(model._base_manager.filter(merchant=world.bob.merchant).values_list("pk", flat=True)[:3])
        if pks:
            ids[model._meta.model_name] = pks
    ids["merchant"] = [world.bob.merchant.pk]
    return ids


def bob_value(name: str, ids: dict[str, list[int]], world):
    """Bob's value for a field called `name`, or None when the name names no object."""
    order = world.bob.objects["order"]
    if name in {"external_id", "order_external_id"}:
        return order.external_id
    if name == "tracking_number":
        return order.tracking_number
    if name in {"order_number", "number"}:
        return order.number
    key = name.lower().removesuffix("_id").removesuffix("_ids")
    key = ALIASES.get(key, key)
    if key in ids:
        return ids[key][0]
    if key.endswith("s") and ALIASES.get(key[:-1], key[:-1]) in ids:
        return ids[ALIASES.get(key[:-1], key[:-1])]
    return None


def bob_snapshot(world) -> str:
    """A digest of every row Bob's merchant owns."""
    digest = hashlib.sha256()
    for model in sorted(merchant_models(), key=lambda m: m._meta.label):
        rows = model._base_manager.filter(merchant=world.bob.merchant).order_by("pk").values_list()
        digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


def cross_tenant_links() -> list[str]:
    """Rows whose merchant differs from the merchant of a row they point to (foreign keys and many-to-many)."""
    found = []
    for model in merchant_models():
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if field.name == "merchant" or target is None or not (field.many_to_one or field.many_to_many):
                continue
            if getattr(field, "auto_created", False) and not field.concrete:
                continue
            if "merchant" not in {f.name for f in target._meta.concrete_fields}:
                continue
            clash = model._base_manager.exclude(**{f"{field.name}__isnull": True}).exclude(
                **{f"{field.name}__merchant": F("merchant")}
            )
            count = clash.count()
            if count:
                found.append(f"{model._meta.label}.{field.name}: {count}")
    return found


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)] if value is not None else []


def _assert_clean(response, world, where, sent=None):
    """No 5xx, and no canary of Bob's in the answer other than an echo of what Alice sent herself
    (Bob's order numbers contain his canary, and a form error may repeat the value it refused)."""
    from django.utils.html import escape

    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    for echoed in sorted(set(_strings(sent)), key=len, reverse=True):
        if world.bob.canary in echoed:
            for form in {echoed, escape(echoed), json.dumps(echoed)[1:-1]}:
                body = body.replace(form.encode(), b"")
    assert world.bob.canary.encode() not in body, f"{where} answered with Bob's data"


def _swap(world) -> World:
    """The same world seen from Bob's side: a route's `kwargs(swapped)` names Alice's own objects."""
    return World(alice=world.bob, bob=world.alice)


# -- query strings --------------------------------------------------------------------------------------


def test_bobs_ids_in_query_strings_show_none_of_his_data(world):
    ids = bob_ids(world)
    names = set(ids) | {f"{n}_id" for n in ids} | set(ALIASES) | {"store", "order", "campaign", "template"}
    query = {name: bob_value(name, ids, world) for name in sorted(names)}
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in query.items() if v is not None}
    before = bob_snapshot(world)
    page_client = logged_in_client(world.alice.owner)
    api = api_client_for(world.alice.api_key_plaintext)
    checked = 0
    for route in ROUTES:
        if route.kind != "list":
            continue
        url = reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None)
        response = (api if route.is_api else page_client).get(f"{url}?{urlencode(query)}")
        _assert_clean(response, world, f"GET {url}?<Bob's ids>", sent=query)
        checked += 1
    assert checked >= 15
    assert bob_snapshot(world) == before


# -- API bodies ------------------------------------------------------------------------------------------

# Path parameters of write operations: Alice's own object, so the request reaches its body.
PATH_OBJECTS = {"/api/v1/buyers/": "buyer", "/api/v1/campaigns/": "campaign", "/api/v1/templates/": "template",
                "/api/v1/stores/": "store"}  # fmt: skip


def _api_schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node:
        merged = {}
        for part in node["allOf"]:
            merged.update(_resolve(schema, part))
        return merged
    if "oneOf" in node:
        return _resolve(schema, node["oneOf"][0])
    return node


def example_body(schema, node, ids, world, name=""):
    """A body for `node` with Bob's ids in every field whose name names an object."""
    node = _resolve(schema, node)
    bob = bob_value(name, ids, world) if name else None
    kind = node.get("type")
    if kind == "array":
        if bob is not None:
            return bob if isinstance(bob, list) else [bob]
        return [example_body(schema, node.get("items", {}), ids, world, name.removesuffix("s"))]
    if kind == "object" or "properties" in node:
        return {key: example_body(schema, sub, ids, world, key) for key, sub in node.get("properties", {}).items()
                if not sub.get("readOnly")}  # fmt: skip
    if bob is not None:
        value = bob[0] if isinstance(bob, list) else bob
        return str(value) if kind == "string" else value
    if "enum" in node:
        return next((v for v in node["enum"] if v), node["enum"][0])
    fmt = node.get("format", "")
    if kind == "string":
        return {"date-time": dt.datetime.now(dt.UTC).isoformat(), "date": "2026-11-20", "email": "probe@example.com",
                "uri": "https://example.com/x", "time": "09:00:00"}.get(fmt, "probe")  # fmt: skip
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return "probe"


def test_bobs_ids_in_every_api_write_body_and_bulk_array_change_nothing_of_his(world):
    from reviews.models import Campaign
    from templates_review.models import MessageTemplate

    schema = _api_schema()
    ids = bob_ids(world)
    alice_objects = {**world.alice.objects,
                     "campaign": Campaign.objects.for_merchant(world.alice.merchant).first(),
                     "template": MessageTemplate.objects.for_merchant(world.alice.merchant).first()}  # fmt: skip
    api = api_client_for(world.alice.api_key_plaintext)
    before = bob_snapshot(world)
    sent = []
    for path, item in sorted(schema["paths"].items()):
        for method, operation in item.items():
            if method not in {"post", "put", "patch"}:
                continue
            url = path
            if "{" in path:
                prefix = next((p for p in PATH_OBJECTS if path.startswith(p)), None)
                assert prefix, f"{method.upper()} {path}: say which of Alice's objects its path names (PATH_OBJECTS)"
                own = alice_objects[PATH_OBJECTS[prefix]]
                url = path.replace("{id}", str(own.pk)).replace("{sub_pk}", str(ids.get("pushsubscription", [1])[0]))
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            body = example_body(schema, content["schema"], ids, world) if content else {}
            response = getattr(api, method)(url, body, format="json")
            _assert_clean(response, world, f"{method.upper()} {url} {json.dumps(body)[:300]}", sent=body)
            sent.append((method, path, response.status_code))
    assert len(sent) >= 10
    assert bob_snapshot(world) == before, "an API write with Bob's ids changed Bob's rows"
    assert not cross_tenant_links(), cross_tenant_links()


# -- merchant page forms ---------------------------------------------------------------------------------


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}, "selects": set()}
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "textarea", "select"} and a.get("name"):
            if tag == "select":
                self._select = a["name"]
                self._form["selects"].add(a["name"])
            if a.get("type") in {"submit", "button", "file", "image"}:
                return
            self._form["fields"].setdefault(a["name"], a.get("value") or "")
        elif tag == "option" and self._select and self._form and not self._form["fields"].get(self._select):
            self._form["fields"][self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


SKIP_FORMS = ("/logout/",)  # ends the session; covered by accounts' own tests


def test_bobs_ids_in_every_form_of_alices_pages_change_nothing_of_his(world):
    ids = bob_ids(world)
    own = _swap(world)
    pages = []
    for route in ROUTES:
        if route.is_api or route.name.startswith(("api-", "accounts:password_reset", "accounts:logout")):
            continue
        if route.kind == "object":
            pages.append(reverse(route.name, kwargs=route.kwargs(own) if route.kwargs else None))
        elif route.kind in {"list", "public"} and not (route.kwargs and "token" in str(route.kwargs)):
            try:
                pages.append(reverse(route.name, kwargs=route.kwargs(world) if route.kwargs else None))
            except Exception:  # noqa: S112  (public routes with signed tokens need arguments we do not forge)
                continue
    before = bob_snapshot(world)
    client = logged_in_client(world.alice.owner)
    submitted = 0
    for page in sorted(set(pages)):
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(response.content.decode("utf-8", "replace"))
        for form in parser.forms:
            action = form["action"] or page
            if action.startswith(SKIP_FORMS) or not action.startswith("/"):
                continue
            data = {}
            for name, value in form["fields"].items():
                bob = bob_value(name, ids, world)
                data[name] = (bob if isinstance(bob, list) else [bob]) if bob is not None else value
            answer = client.post(action, data)
            _assert_clean(answer, world, f"POST {action} (form of {page}) with Bob's ids", sent=data)
            submitted += 1
    assert submitted >= 10, submitted
    assert bob_snapshot(world) == before, "a form with Bob's ids changed Bob's rows"
    assert not cross_tenant_links(), cross_tenant_links()


# -- admin ------------------------------------------------------------------------------------------------


def admin_urls(world) -> list[tuple[str, str, dict]]:
    """(method, url, data) for every admin page and action: changelists, add, change, delete, history."""
    urls = [("get", reverse("admin:index"), {})]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(("get", reverse(f"{info}_changelist"), {}))
        urls.append(("get", reverse(f"{info}_add"), {}))
        row = model._base_manager.order_by("pk").first()
        if row is not None:
            for view in ("change", "delete", "history"):
                urls.append(("get", reverse(f"{info}_{view}", args=[row.pk]), {}))
            for action in model_admin.get_actions(_superuser_request()) or {}:
                urls.append(("post", reverse(f"{info}_changelist"),
                             {"action": action, "_selected_action": [row.pk], "index": 0}))  # fmt: skip
    return urls


def _superuser_request():
    from django.test import RequestFactory

    from tests.factories.accounts import UserFactory

    request = RequestFactory().get("/admin/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    return request


def test_every_admin_page_and_action_refuses_a_merchants_user(world):
    client = logged_in_client(world.alice.owner)  # the merchant's owner: not staff
    before = bob_snapshot(world)
    urls = admin_urls(world)
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], f"{method} {url}"
        assert world.bob.canary.encode() not in response.content
    assert bob_snapshot(world) == before
    assert len(urls) >= 50


def test_a_compliance_reviewer_sees_only_templates_in_admin(world):
    from django.contrib.auth.models import Group

    from tests.factories.accounts import UserFactory

    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Compliance"))
    client = logged_in_client(reviewer)
    from reviews.models import SendingSwitch

    for method, url, data in admin_urls(world):
        if url == reverse("admin:index") or url.split("/")[2] == "templates_review":
            continue
        response = getattr(client, method)(url, data)
        assert response.status_code in (302, 403), f"a reviewer could {method} {url}: {response.status_code}"
    assert not SendingSwitch.objects.filter(stopped=True).exists(), "a reviewer stopped all sending"
