"""Property-based fuzzing of the whole API against its own OpenAPI schema (schemathesis).

The schema is loaded from the live `/api/schema/` of the Django app (in-process WSGI, no server),
authenticated with Alice's API key, while Bob's merchant holds the same data as Alice's. Every
operation gets `FUZZ_EXAMPLES` generated requests (small in CI; `bash scripts/fuzz` runs more) and each
answer must be: not a 5xx, a documented status code and content type, a body that matches the
documented schema, and free of Bob's canary strings.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as openapi_checks

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


class OtherMerchantDataLeaked(AssertionError):
    pass


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI handler closes database connections after each request; Django's test client turns that
    off (the test's transaction lives on that connection), and so do we while the fuzzer calls the app."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(world, monkeypatch, _keep_the_test_connection):
    from rest_framework.throttling import SimpleRateThrottle

    from linkstar.wsgi import application

    # The fuzzer is one client sending many requests; the per-key limit has its own test.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api": "1000000/min"})
    auth = {"Authorization": f"Bearer {world.alice.api_key_plaintext}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", application, headers={**auth, "Accept": "application/vnd.oai.openapi+json"}
    )
    schema.fuzz_world = world
    schema.fuzz_headers = auth
    return schema


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read from the generator at collection time (no database)."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    methods = {"get", "post", "put", "patch", "delete"}
    return sorted((m.upper(), path) for path, item in paths.items() for m in item if m in methods)


OPERATIONS = _operations()

CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


def no_data_of_another_merchant(ctx, response, case):
    canary = case.operation.schema.fuzz_world.bob.canary.encode()
    if canary in (response.content or b""):
        raise OtherMerchantDataLeaked(f"{case.method} {case.formatted_path} answered with Bob's data")


def test_the_fuzzer_covers_every_operation_of_the_live_schema(api_schema):
    live = sorted((op.method.upper(), op.path) for op in (r.ok() for r in api_schema.get_all_operations()))
    assert live == OPERATIONS
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_api_operation_answers_by_its_schema_without_server_errors(api_schema, method, path):
    # schemathesis' own pytest decorator (`schema.parametrize()`) does not run under pytest 9.2 yet
    # (it sets a node attribute pytest renamed), so each operation is its own test with Hypothesis driving it.
    operation = api_schema[path][method]
    headers = api_schema.fuzz_headers

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS, additional_checks=[no_data_of_another_merchant])

    run()
