"""A merchant's journey in a real browser (Playwright driving Debian's Chromium) against a live server,
with a real Celery worker planning and dispatching: sign up, switch to Chinese, add a store and import its
orders from CSV, write and submit a template, approve it as a compliance reviewer in admin, add an outbox
account, create and activate a campaign, see the message in the send log and on the dashboard, and
unsubscribe as the buyer from the link in the email. Screenshots of every step: test-artefacts/journey/.
"""

import datetime as dt
import importlib
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts.models import Merchant, User
from channels.models import ChannelAccount, OutboxMessage, SuppressionEntry
from orders.models import Order
from reviews.models import Message, MessageStatus
from templates_review.models import TemplateVersion
from templates_review.starters import STARTERS_BY_KEY
from tests.factories.billing import BudgetCapFactory, fund, price_book_with
from tests.proof.harness import ARTEFACTS, CeleryWorker, Kicker, RedisServer, child_env, wait_for

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "journey-Pass-2026!"

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(
        "Debian's Chromium is not installed (apt-get install chromium); CI installs it", allow_module_level=True
    )

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Journey:
    def __init__(self, page, base: str):
        self.page, self.base, self.step = page, base, 0
        self.folder = ARTEFACTS / "journey"
        self.folder.mkdir(parents=True, exist_ok=True)

    def go(self, path: str):
        self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)

    def submit(self, selector: str = "main form button[type=submit]"):
        with self.page.expect_navigation():
            self.page.click(selector)


def _compliance_group() -> Group:
    """The group the migrations create; a transactional test before this one flushed it away, so it is made
    again with the same permissions (templates_review's migration 0002 lists them)."""
    migration = importlib.import_module("templates_review.migrations.0002_compliance_permissions_and_append_only")
    group, _created = Group.objects.get_or_create(name="Compliance")
    for model, codename in migration.PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="templates_review", content_type__model=model,
                                   codename=codename)
        )  # fmt: skip
    return group


def _csv(delivered: dt.datetime) -> bytes:
    rows = [
        "order-id,purchase-date,buyer-email,buyer-name,sku,product-name,quantity-purchased,item-price,currency,"
        "ship-country,delivered_at",
        f"J-1001,{(delivered - dt.timedelta(days=4)).isoformat()},wen.buyer@example.com,Wen Buyer,MUG-1,Tea mug,1,"
        f"19.90,USD,US,{delivered.isoformat()}",
    ]
    return ("\n".join(rows) + "\n").encode()


def test_a_merchant_signs_up_sends_a_review_request_and_the_buyer_unsubscribes(
    live_server, settings, tmp_path, monkeypatch
):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls here are plain blocking calls
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    settings.PUBLIC_BASE_URL = live_server.url
    price_book_with()  # staff keep the price book
    with sync_playwright() as playwright, RedisServer() as redis:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(locale="en-US")
            j = Journey(page, live_server.url)

            # 1. sign up
            j.go("/signup/")
            page.fill("input[name=merchant_name]", "Journey Trading")
            page.fill("input[name=full_name]", "Lin Journey")
            page.fill("input[name=email]", "lin@journey.example")
            page.fill("input[name=password]", PASSWORD)
            j.shot("signup")
            j.submit()
            assert page.url.endswith("/dashboard/")
            j.shot("dashboard-english")
            merchant = Merchant.objects.get(name="Journey Trading")
            BudgetCapFactory(merchant=merchant, allowed_countries=["US"])
            fund(merchant, "50")  # staff top up the prepaid balance

            # 2. switch to Chinese
            with page.expect_navigation():  # the language menu submits itself when changed
                page.select_option("form[action='/language/'] select[name=language]", "zh-hans")
            assert (page.get_attribute("html", "lang") or "").startswith("zh")
            j.shot("dashboard-chinese")

            # 3. a store, and its orders from a CSV file
            j.go("/orders/stores/")
            page.fill("input[name=name]", "Journey Shop")
            page.select_option("select[name=platform]", "manual")
            page.fill("input[name=default_currency]", "USD")
            page.fill("input[name=default_language]", "en")
            page.fill("textarea[name=postal_address]", "8 Harbour Road, Wan Chai, Hong Kong")
            j.submit("form[action='/orders/stores/'] button[type=submit]")
            j.shot("store-added")
            j.go("/orders/import/")
            page.select_option("select[name=store]", label="Journey Shop")
            csv_file = tmp_path / "orders.csv"
            csv_file.write_bytes(_csv(timezone.now() - dt.timedelta(days=6)))
            page.set_input_files("input[name=file]", str(csv_file))
            j.shot("import-upload")
            j.submit()
            j.shot("import-mapping")
            j.submit("button[name=action][value=start]")
            assert wait_for(lambda: Order.objects.filter(merchant=merchant, external_id="J-1001").exists(), timeout=30)
            page.reload()
            j.shot("import-done")

            # 4. write a template and submit it
            starter = STARTERS_BY_KEY["review-email-en"]
            j.go("/templates/new/")
            page.fill("input[name=name]", "Review request")
            page.select_option("select[name=purpose]", "review_request")
            page.select_option("select[name=channel]", "email")
            page.select_option("select[name=marketplace]", "own_site")
            page.select_option("select[name=locale]", "en")
            page.fill("input[name=subject]", starter["subject"])
            page.fill("textarea[name=body_text]", starter["body_text"])
            page.fill("textarea[name=body_html]", starter["body_html"])
            j.shot("template-written")
            j.submit()
            j.submit("button[name=action][value=submit]")
            j.shot("template-submitted")

            # 5. a compliance reviewer approves it in admin
            reviewer = User.objects.create_user("reviewer@journey.example", password=PASSWORD, is_staff=True)
            reviewer.groups.add(_compliance_group())
            admin = browser.new_page(locale="en-US")
            ja = Journey(admin, live_server.url)
            ja.step = 20
            ja.go("/admin/login/")
            admin.fill("input[name=username]", reviewer.email)
            admin.fill("input[name=password]", PASSWORD)
            ja.submit("input[type=submit]")
            ja.go("/admin/templates_review/templateversion/")
            ja.shot("admin-queue")
            admin.check("input[name=_selected_action]")
            admin.select_option("select[name=action]", "approve_selected")
            ja.submit("button[name=index]")
            ja.shot("admin-approved")
            assert TemplateVersion.objects.filter(template__merchant=merchant, status="approved").count() == 1

            # 6. an outbox account, then a campaign, activated
            j.go("/channels/accounts/new/outbox/")
            page.fill("input[name=name]", "Outbox")
            page.fill("input[name=from_email]", "care@journey.example")
            page.fill("input[name=from_name]", "Journey Shop")
            j.submit()
            j.shot("outbox-account")
            j.go("/campaigns/new/")
            page.fill("input[name=name]", "Ask for a review")
            page.select_option("select[name=purpose]", "review_request")
            page.select_option("select[name=message_class]", "utility")
            page.fill("input[name=delay_days]", "5")
            page.fill("input[name=window_start]", "00:00")
            page.fill("input[name=window_end]", "23:59")
            for box in page.query_selector_all("input[name=send_days]"):
                box.check()
            page.fill("input[name=plan-0-country]", "*")
            page.fill("input[name=plan-0-position]", "1")
            page.select_option("select[name=plan-0-channel]", "email")
            outbox = ChannelAccount.objects.get(merchant=merchant, kind="outbox")
            page.select_option("select[name=plan-0-account]", str(outbox.pk))
            j.shot("campaign-form")
            j.submit()
            j.shot("campaign-created")
            j.submit("button[name=action][value=activate]")
            j.shot("campaign-active")

            # 7. beat and a real worker plan and send
            env = child_env(broker=redis.url, cache=redis.cache_url, PUBLIC_BASE_URL=live_server.url)
            worker = CeleryWorker(env, "journey").start()
            beat = Kicker(redis.url)
            try:
                beat.plan()
                assert wait_for(lambda: Message.objects.filter(merchant=merchant).exists(), timeout=60)
                beat.kick()
                assert wait_for(
                    lambda: Message.objects.filter(merchant=merchant, status=MessageStatus.SENT).exists(), timeout=60
                )
            finally:
                worker.stop()
                beat.close()

            # 8. the send log and the dashboard show it
            j.go("/campaigns/log/")
            assert "J-1001" in page.content()
            j.shot("send-log")
            j.go("/dashboard/")
            j.shot("dashboard-after-send")

            # 9. the buyer unsubscribes from the email's link
            email = OutboxMessage.objects.get(merchant=merchant)
            link = re.search(r"https?://\S+/channels/unsubscribe/[^\s\"'<>]+", email.text_body or email.html_body)
            assert link, "the email carries an unsubscribe link"
            buyer = browser.new_page(locale="en-US")
            jb = Journey(buyer, "")
            jb.step = 40
            jb.go(link.group(0))
            jb.shot("buyer-unsubscribe-page")
            jb.submit("main form button[type=submit]")
            jb.shot("buyer-unsubscribed")
            assert SuppressionEntry.objects.filter(merchant=merchant, reason="unsubscribe").exists()
        finally:
            browser.close()
