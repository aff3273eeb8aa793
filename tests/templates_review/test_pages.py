"""Merchant pages: list, editor with live preview, submit, starter library, dashboard panel."""

import pytest
from django.urls import reverse

from templates_review import services
from templates_review.models import MessageTemplate, ReviewDecision, TemplateVersion, VersionStatus
from tests.factories.templates_review import MessageTemplateFactory, TemplateVersionFactory, approved_version

pytestmark = pytest.mark.django_db

ZH = (
    "{{ buyer.name }}，您好！感谢您的订单 {{ order.number }}。能否分享您真实的使用感受？{{ review_link }}\n"
    "{{ store.name }} · {{ store.postal_address }} 退订：{{ unsubscribe_link }}"
)
DE = (
    "Hallo {{ buyer.first_name }}, würden Sie Ihre ehrliche Meinung in einer Bewertung teilen? {{ review_link }}\n"
    "{{ store.name }} · {{ store.postal_address }} Abmelden: {{ unsubscribe_link }}"
)


def create(client, locale, body, subject="Ihre Bestellung"):
    response = client.post(
        reverse("templates_review:new"),
        {
            "name": f"Review {locale}",
            "purpose": "review_request",
            "channel": "email",
            "marketplace": "own_site",
            "locale": locale,
            "subject": subject,
            "body_text": body,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return MessageTemplate.objects.get(name=f"Review {locale}")


def test_merchant_writes_chinese_and_german_requests_sees_findings_submits_and_reviewer_decides(
    client_a, alice, reviewer, django_capture_on_commit_callbacks
):
    zh = create(client_a, "zh-Hans", ZH.replace("能否分享", "五星好评返现！能否分享"), subject="您的订单")
    de = create(client_a, "de", DE)
    # Live preview shows the findings for the Chinese draft, in place.
    response = client_a.post(
        reverse("templates_review:preview"),
        {
            "channel": "email",
            "marketplace": "own_site",
            "locale": "zh-Hans",
            "purpose": "review_request",
            "subject": "您的订单",
            "body_text": zh.versions.get().body_text,
        },
    )
    data = response.json()
    assert data["blocking"] is True
    assert {"review.positive", "incentive.review"} <= {f["rule"] for f in data["findings"]}
    assert "王伟" in data["preview"]["text"]
    # Submitting is refused while a blocking finding remains; after the fix it goes through.
    edit = reverse("templates_review:edit", kwargs={"pk": zh.pk})
    client_a.post(edit, {"action": "submit", "subject": "您的订单", "body_text": zh.versions.get().body_text})
    assert zh.versions.get().status == VersionStatus.DRAFT
    client_a.post(edit, {"action": "submit", "subject": "您的订单", "body_text": ZH})
    client_a.post(
        reverse("templates_review:edit", kwargs={"pk": de.pk}),
        {"action": "submit", "subject": "Ihre Bestellung", "body_text": DE},
    )
    zh_version = zh.versions.get(status=VersionStatus.SUBMITTED)
    de_version = de.versions.get(status=VersionStatus.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_version(version=zh_version, reviewer=reviewer)
        services.reject_version(version=de_version, reviewer=reviewer, reason="Bitte ohne Großbuchstaben im Betreff")
    page = client_a.get(reverse("templates_review:edit", kwargs={"pk": de.pk})).content.decode()
    assert "Bitte ohne Großbuchstaben im Betreff" in page
    dashboard = client_a.get(reverse("accounts:dashboard")).content.decode()
    assert "Review zh-Hans" in dashboard and "Review de" in dashboard
    listing = client_a.get(reverse("templates_review:list")).content.decode()
    assert "v1" in listing


def test_editor_page_has_sandboxed_preview_and_static_script(client_a, alice):
    template = MessageTemplateFactory(merchant=alice.merchant)
    TemplateVersionFactory(template=template, body_html="<p>Hi {{ buyer.first_name }}<script>alert(1)</script></p>")
    response = client_a.get(reverse("templates_review:edit", kwargs={"pk": template.pk}))
    html = response.content.decode()
    assert 'sandbox=""' in html and "srcdoc=" in html
    assert "templates_review/editor.js" in html
    assert "<script>alert(1)</script>" not in html, "merchant HTML only appears escaped inside srcdoc"


def test_editing_an_approved_template_creates_a_draft_and_shows_the_diff(client_a, alice, reviewer):
    version = approved_version(reviewer=reviewer, template=MessageTemplateFactory(merchant=alice.merchant))
    edit = reverse("templates_review:edit", kwargs={"pk": version.template_id})
    client_a.post(edit, {"action": "save", "subject": "A new subject", "body_text": version.body_text})
    assert TemplateVersion.objects.filter(template=version.template, status="draft").count() == 1
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    page = client_a.get(edit).content.decode()
    assert "A new subject" in page and "diff-add" in page


def test_viewer_cannot_edit(alice, client):
    from accounts.roles import Role
    from tests.factories.accounts import MembershipFactory

    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    client.force_login(viewer)
    template = MessageTemplateFactory(merchant=alice.merchant)
    TemplateVersionFactory(template=template)
    assert client.get(reverse("templates_review:edit", kwargs={"pk": template.pk})).status_code == 200
    response = client.post(reverse("templates_review:edit", kwargs={"pk": template.pk}), {"body_text": "x"})
    assert response.status_code == 403
    assert client.get(reverse("templates_review:new")).status_code == 403


def test_starter_library_copies_a_neutral_template_as_a_draft(client_a, alice):
    assert "review-email-ja" in client_a.get(reverse("templates_review:starters")).content.decode()
    response = client_a.post(reverse("templates_review:starter_copy", kwargs={"key": "review-email-ja"}))
    assert response.status_code == 302
    template = MessageTemplate.objects.get(merchant=alice.merchant, locale="ja")
    assert template.versions.get().status == VersionStatus.DRAFT
    services.submit_version(version=template.versions.get(), user=alice.owner)
    assert ReviewDecision.objects.filter(version__template=template, action="submit").exists()


def test_preview_rejects_bad_input(client_a):
    response = client_a.post(reverse("templates_review:preview"), {"channel": "fax", "locale": "en"})
    assert response.status_code == 400 and "detail" in response.json()
