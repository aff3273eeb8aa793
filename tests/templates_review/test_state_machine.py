"""The version lifecycle: one table of moves, enforced by services, audited in ReviewDecision."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from templates_review import services
from templates_review.models import (
    TRANSITIONS,
    DecisionAction,
    ReviewDecision,
    TemplateVersion,
    VersionStatus,
    move_allowed,
)
from tests.factories.templates_review import TemplateVersionFactory, approved_version

pytestmark = pytest.mark.django_db

ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "approved"),
    ("submitted", "rejected"),
    ("approved", "superseded"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(VersionStatus.values, repeat=2)))
def test_every_move_is_allowed_only_when_it_is_in_the_table(current, target):
    assert move_allowed(current, target) == ((current, target) in ALLOWED)


def test_the_table_names_every_status():
    assert set(TRANSITIONS) == set(VersionStatus.values)


@pytest.mark.parametrize("status", ["submitted", "approved", "rejected", "superseded"])
def test_submitting_is_refused_unless_the_version_is_a_draft(status):
    version = TemplateVersionFactory(status=status)
    with pytest.raises(ValidationError, match="cannot become"):
        services.submit_version(version=version, user=None)


@pytest.mark.parametrize("status", ["draft", "approved", "rejected", "superseded"])
def test_approving_is_refused_unless_the_version_is_submitted(status, reviewer):
    version = TemplateVersionFactory(status=status)
    with pytest.raises(ValidationError, match="cannot become"):
        services.approve_version(version=version, reviewer=reviewer)


@pytest.mark.parametrize("status", ["draft", "approved", "rejected", "superseded"])
def test_rejecting_is_refused_unless_the_version_is_submitted(status, reviewer):
    version = TemplateVersionFactory(status=status)
    with pytest.raises(ValidationError, match="cannot become"):
        services.reject_version(version=version, reviewer=reviewer, reason="no")


def test_submit_records_hash_findings_and_a_decision():
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    assert version.status == VersionStatus.SUBMITTED
    assert version.content_hash == services.content_hash(version)
    assert version.submitted_at is not None
    decision = ReviewDecision.objects.get(version=version)
    assert decision.action == DecisionAction.SUBMIT
    assert decision.content_hash == version.content_hash


def test_submit_is_refused_while_a_blocking_finding_remains():
    version = TemplateVersionFactory(body_text="Leave a 5-star review and get a free gift! {{ unsubscribe_link }}")
    with pytest.raises(services.SubmissionBlocked) as caught:
        services.submit_version(version=version, user=None)
    assert {"review.positive", "incentive.review"} <= {f.rule for f in caught.value.result.findings}
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert not ReviewDecision.objects.filter(version=version).exists()


def test_approving_supersedes_the_previous_approved_version_in_the_same_transaction(reviewer):
    first = approved_version(reviewer=reviewer)
    draft = services.save_draft(
        template=first.template,
        content=services.Content(subject="New subject {{ order.number }}", body_text=first.body_text),
        user=None,
    )
    assert draft.number == first.number + 1
    first.refresh_from_db()
    assert first.status == VersionStatus.APPROVED, "the approved version stays live while its successor is a draft"
    services.submit_version(version=draft, user=None)
    services.approve_version(version=draft, reviewer=reviewer)
    first.refresh_from_db()
    assert first.status == VersionStatus.SUPERSEDED
    assert first.superseded_by_id == draft.pk
    assert TemplateVersion.objects.filter(template=first.template, status="approved").count() == 1
    actions = list(ReviewDecision.objects.filter(version=draft).order_by("id").values_list("action", flat=True))
    assert actions == ["submit", "approve"]


def test_rejecting_needs_a_reason_and_records_it(reviewer):
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    with pytest.raises(ValidationError, match="Say why"):
        services.reject_version(version=version, reviewer=reviewer, reason="  ")
    services.reject_version(version=version, reviewer=reviewer, reason="Mentions a coupon")
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED
    assert version.rejection_reason == "Mentions a coupon"
    decision = ReviewDecision.objects.get(version=version, action="reject")
    assert decision.reason == "Mentions a coupon"
    assert decision.actor == reviewer


def test_approving_a_version_with_a_blocking_finding_needs_an_override_reason(reviewer):
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    # The rules changed after submission: the stored findings now include a blocking one.
    TemplateVersion.objects.filter(pk=version.pk).update(
        findings=[{"rule": "incentive.review", "severity": "block", "field": "body_text", "start": 0, "end": 1}]
    )
    with pytest.raises(ValidationError, match="override"):
        services.approve_version(version=version, reviewer=reviewer)
    services.approve_version(version=version, reviewer=reviewer, override_reason="Legal confirmed it is fine")
    decision = ReviewDecision.objects.get(version=version, action="approve")
    assert decision.override_reason == "Legal confirmed it is fine"


def test_a_version_changed_after_submission_cannot_be_approved(reviewer):
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    TemplateVersion.objects.filter(pk=version.pk).update(body_text="Sneaky edit")
    with pytest.raises(ValidationError, match="changed after submission"):
        services.approve_version(version=version, reviewer=reviewer)


def test_only_one_version_of_a_template_waits_for_review():
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    draft = services.save_draft(template=version.template, content=services.Content(body_text="x"), user=None)
    with pytest.raises(ValidationError, match="already waiting"):
        services.submit_version(version=draft, user=None)


def test_review_decisions_cannot_be_edited_or_deleted_through_the_orm(reviewer):
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    decision = ReviewDecision.objects.get(version=version)
    decision.reason = "changed"
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    with pytest.raises(ValidationError):
        ReviewDecision.objects.filter(pk=decision.pk).update(reason="x")
    with pytest.raises(ValidationError):
        ReviewDecision.objects.filter(pk=decision.pk).delete()


def test_the_database_refuses_to_change_or_delete_a_review_decision():
    version = services.submit_version(version=TemplateVersionFactory(), user=None)
    decision = ReviewDecision.objects.get(version=version)
    table = ReviewDecision._meta.db_table
    for sql in (f"UPDATE {table} SET reason = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):  # noqa: S608
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [decision.pk])


def test_at_most_one_approved_version_per_template_in_the_database(reviewer):
    first = approved_version(reviewer=reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateVersionFactory(template=first.template, status="approved")
