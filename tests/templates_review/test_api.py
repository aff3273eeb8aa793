"""The templates API: lint, template and draft CRUD, submit."""

import pytest

from templates_review.models import VersionStatus

pytestmark = pytest.mark.django_db
CLEAN = (
    "Hi {{ buyer.first_name }}, would you share an honest review? {{ review_link }}\n"
    "{{ store.name }}, {{ store.postal_address }} {{ unsubscribe_link }}"
)


def test_lint_endpoint_answers_like_the_cli(api_a):
    response = api_a.post(
        "/api/v1/templates/lint",
        {"channel": "sms", "marketplace": None, "locale": "fr", "body_text": "Laissez un avis 5 étoiles"},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["blocking"] is True
    assert data["segments"] == {"encoding": "GSM-7", "count": 1}
    assert {"rule", "severity", "message", "field", "start", "end", "fix"} == set(data["findings"][0])


def test_lint_endpoint_refuses_bad_input_with_a_detail(api_a):
    response = api_a.post("/api/v1/templates/lint", {"channel": "fax", "locale": "en"}, format="json")
    assert response.status_code == 400 and "detail" in response.json()


def test_create_draft_submit_flow(api_a):
    created = api_a.post(
        "/api/v1/templates",
        {
            "name": "API",
            "purpose": "review_request",
            "channel": "email",
            "locale": "en",
            "subject": "Hi",
            "body_text": "Leave a 5-star review",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    blocked = api_a.post(f"/api/v1/templates/{pk}/submit", format="json")
    assert blocked.status_code == 400 and blocked.json()["lint"]["blocking"] is True
    draft = api_a.put(f"/api/v1/templates/{pk}/draft", {"subject": "Hi", "body_text": CLEAN}, format="json")
    assert draft.status_code == 200 and draft.json()["lint"]["blocking"] is False
    submitted = api_a.post(f"/api/v1/templates/{pk}/submit", format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == VersionStatus.SUBMITTED
    versions = api_a.get(f"/api/v1/templates/{pk}/versions").json()
    assert [v["status"] for v in versions] == ["submitted"]
    listing = api_a.get("/api/v1/templates").json()
    assert listing[0]["latest_version"] == {"number": 1, "status": "submitted"}


def test_read_only_key_cannot_create(alice):
    from tests.conftest import api_client_for
    from tests.factories.accounts import make_api_key

    _key, plaintext = make_api_key(alice.merchant, scope="read")
    response = api_client_for(plaintext).post("/api/v1/templates", {"name": "x"}, format="json")
    assert response.status_code == 403
