"""The review queue in admin: compliance staff approve and reject; merchants and edits are refused."""

import pytest
from django.core import mail

from templates_review import services
from templates_review.models import ReviewDecision, VersionStatus
from tests.factories.templates_review import MessageTemplateFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db
QUEUE = "/admin/templates_review/templateversion/"


def submitted(merchant, **kwargs):
    template = MessageTemplateFactory(merchant=merchant, **kwargs)
    return services.submit_version(version=TemplateVersionFactory(template=template), user=None)


def test_reviewer_sees_the_queue_oldest_first_with_preview_findings_and_diff(reviewer_client, alice, bob):
    older = submitted(alice.merchant, name="Older one")
    submitted(bob.merchant, name="Newer one")
    response = reviewer_client.get(QUEUE)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Older one") < body.index("Newer one")
    page = reviewer_client.get(f"{QUEUE}{older.pk}/change/").content.decode()
    assert 'sandbox=""' in page or "Jamie" in page
    assert "No findings" in page or "finding" in page.lower()
    assert 'name="decision" value="approve"' in page
    assert 'name="body_text"' not in page, "reviewers cannot edit the body"


def test_queue_filters_by_channel_marketplace_locale_and_merchant(reviewer_client, alice):
    submitted(alice.merchant, name="German one", locale="de")
    response = reviewer_client.get(QUEUE, {"template__locale__exact": "fr"})
    assert response.status_code == 200 and "German one" not in response.content.decode()
    response = reviewer_client.get(QUEUE, {"merchant__id__exact": alice.merchant.pk})
    assert "German one" in response.content.decode()


def test_reviewer_approves_with_the_admin_action_and_the_merchant_is_emailed(
    reviewer_client, alice, django_capture_on_commit_callbacks
):
    version = submitted(alice.merchant)
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(QUEUE, {"action": "approve_selected", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert ReviewDecision.objects.filter(version=version, action="approve").exists()
    assert [m.to for m in mail.outbox] == [[alice.owner.email]]
    assert "approved" in mail.outbox[0].subject.lower()


def test_reject_action_asks_for_a_reason_first(reviewer_client, alice, django_capture_on_commit_callbacks):
    version = submitted(alice.merchant)
    response = reviewer_client.post(QUEUE, {"action": "reject_selected", "_selected_action": [version.pk]})
    assert response.status_code == 200 and b"reason" in response.content
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        reviewer_client.post(
            QUEUE, {"action": "reject_selected", "_selected_action": [version.pk], "reason": "Offers a coupon"}
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED and version.rejection_reason == "Offers a coupon"
    assert "Offers a coupon" in mail.outbox[0].body


def test_change_page_decisions(reviewer_client, alice):
    version = submitted(alice.merchant)
    url = f"{QUEUE}{version.pk}/decide/"
    reviewer_client.post(url, {"decision": "reject", "reason": ""})
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED, "a rejection without a reason is refused"
    reviewer_client.post(url, {"decision": "approve"})
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED


def test_merchant_user_cannot_open_the_queue_or_approve(client_a, alice):
    version = submitted(alice.merchant)
    assert client_a.get(QUEUE).status_code == 302
    client_a.post(QUEUE, {"action": "approve_selected", "_selected_action": [version.pk]})
    client_a.post(f"{QUEUE}{version.pk}/decide/", {"decision": "approve"})
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED


def test_staff_outside_the_compliance_group_cannot_approve(client, alice):
    from tests.factories.accounts import UserFactory

    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    version = submitted(alice.merchant)
    assert client.get(QUEUE).status_code == 403
    client.post(f"{QUEUE}{version.pk}/decide/", {"decision": "approve"})
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED


def test_reviewer_sees_templates_and_nothing_else(reviewer_client):
    index = reviewer_client.get("/admin/").content.decode()
    assert "/admin/templates_review/templateversion/" in index
    assert "/admin/accounts/" not in index
    assert reviewer_client.get("/admin/accounts/merchant/").status_code == 403


def test_review_decisions_cannot_be_edited_or_deleted_even_by_a_superuser(superuser_client, alice):
    version = submitted(alice.merchant)
    decision = ReviewDecision.objects.get(version=version)
    base = "/admin/templates_review/reviewdecision/"
    page = superuser_client.get(f"{base}{decision.pk}/change/").content.decode()
    assert 'name="reason"' not in page
    superuser_client.post(f"{base}{decision.pk}/change/", {"reason": "edited"})
    assert superuser_client.post(f"{base}{decision.pk}/delete/", {"post": "yes"}).status_code == 403
    decision.refresh_from_db()
    assert decision.reason == ""
    assert ReviewDecision.objects.filter(pk=decision.pk).exists()
    assert superuser_client.get(f"{base}add/").status_code == 403
