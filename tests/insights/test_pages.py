"""Report pages and the dashboard: charts drawn as inline SVG with accessible titles, in English and Chinese."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from tests.conftest import logged_in_client
from tests.factories.accounts import MembershipFactory
from tests.factories.reviews import CampaignFactory
from tests.insights.conftest import bulk_messages, events, usage

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(alice):
    campaign = CampaignFactory(merchant=alice.merchant, name="Spring reviews")
    now = timezone.now()
    sent = bulk_messages(campaign, 6, status="delivered", sent_at=now, delivered_at=now, channel="email", country="US")
    bulk_messages(campaign, 2, status="planned", channel="email", country="DE")
    events(sent[:3], "opened")
    usage(sent, "0.25")
    return campaign


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, flags=re.S)


def test_report_page_shows_four_charts_with_titles_and_no_script_or_inline_style(filled, client_a):
    response = client_a.get(reverse("insights:reports"))
    assert response.status_code == 200
    html = response.content.decode()
    svgs = _svgs(html)
    assert len(svgs) == 4
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "<script" not in svg and "style=" not in svg
    assert "Sends and outcomes over time" in svgs[0]
    assert "Funnel" in svgs[1] and "Planned: 8" in svgs[1] and "Opened: 3" in svgs[1]
    assert "Costs by country (USD)" in svgs[2] and "US: 1.50" in svgs[2]
    assert "Sent by channel" in svgs[3] and "Insert cards: scans: 0" in svgs[3]
    assert "Spring reviews" in html  # the campaign table
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_report_page_in_chinese(filled, client_a):
    client_a.post(reverse("accounts:set_language"), {"language": "zh-hans", "next": "/"})
    html = client_a.get(reverse("insights:reports")).content.decode()
    assert "发送与结果趋势" in html and "转化漏斗" in html and "各国费用" in html
    assert "已计划: 8" in html  # the funnel's description, in Chinese


def test_filters_reject_a_foreign_campaign_and_bad_dates_with_a_form_error(filled, bob, client_a):
    foreign = CampaignFactory(merchant=bob.merchant)
    response = client_a.get(reverse("insights:reports"), {"campaign": foreign.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client_a.get(reverse("insights:reports"), {"country": "U1"})
    assert response.status_code == 400 and "two-letter country code" in response.content.decode()


def test_filters_narrow_the_tables(filled, client_a):
    html = client_a.get(reverse("insights:reports"), {"country": "DE", "period": "week"}).content.decode()
    funnel = _svgs(html)[1]
    assert "Planned: 2" in funnel and "Sent: 0" in funnel


def test_campaign_report_of_another_merchant_is_404(filled, bob, client_a):
    foreign = CampaignFactory(merchant=bob.merchant)
    assert client_a.get(reverse("insights:campaign_report", args=[foreign.pk])).status_code == 404
    assert client_a.get(reverse("insights:campaign_export", args=[foreign.pk, "channel"])).status_code == 404


def test_dashboard_shows_the_charts_panel_when_there_is_data(filled, client_a):
    html = client_a.get(reverse("accounts:dashboard")).content.decode()
    assert "Last 30 days" in html and len(_svgs(html)) == 3
    assert "6 sent" in html


def test_dashboard_hides_the_charts_panel_without_messages(client_a):
    html = client_a.get(reverse("accounts:dashboard")).content.decode()
    assert "Last 30 days" not in html


def test_a_viewer_may_read_reports(filled, alice):
    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    client = logged_in_client(viewer)
    assert client.get(reverse("insights:reports")).status_code == 200
    assert client.get(reverse("insights:campaign_report", args=[filled.pk])).status_code == 200


def test_campaign_page_links_to_its_report(filled, client_a):
    html = client_a.get(reverse("reviews:detail", args=[filled.pk])).content.decode()
    assert reverse("insights:campaign_report", args=[filled.pk]) in html


def test_campaign_report_in_chinese_keeps_its_percent_signs(alice, client_a):
    from tests.factories.reviews import VariantFactory

    campaign = CampaignFactory(merchant=alice.merchant, name="春季", holdout_percent=10)
    VariantFactory(campaign=campaign, name="A")
    VariantFactory(campaign=campaign, name="B")
    now = timezone.now()
    bulk_messages(campaign, 4, variant="A", status="sent", sent_at=now)
    bulk_messages(campaign, 4, variant="B", status="sent", sent_at=now)
    bulk_messages(campaign, 2, status="held_out")
    client_a.post(reverse("accounts:set_language"), {"language": "zh-hans", "next": "/"})
    html = client_a.get(reverse("insights:campaign_report", args=[campaign.pk])).content.decode()
    assert "比率（95% 区间）" in html and "留出组" in html and "对照组" in html
    assert "%%" not in html
