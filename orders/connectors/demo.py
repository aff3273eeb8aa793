"""Demo connections: each demo merchant's Shopify and Amazon stores and a new WooCommerce store connected to
the local fakes (`manage.py run_fake_platforms`, started by command 1), with AfterShip and 17TRACK as carrier
trackers. Idempotent."""

from __future__ import annotations

from django.conf import settings

from ..models import Platform, Store
from . import services
from .fakes import FakeCredentials
from .models import Connection


def load(ctx) -> None:
    url = settings.FAKE_PLATFORMS_URL
    c = FakeCredentials()
    created = 0
    for merchant in ctx.merchants.values():
        shop = Store.objects.filter(merchant=merchant, platform=Platform.SHOPIFY).order_by("pk").first()
        if shop is not None and not Connection.objects.filter(store=shop).exists():
            services.connect(
                merchant=merchant,
                kind="shopify",
                label=shop.name,
                store=shop,
                credentials={
                    "shop_domain": f"{url}/shopify",
                    "access_token": c.shopify_token,
                    "app_secret": c.shopify_secret,
                },
            )
            created += 1
        if not Connection.objects.for_merchant(merchant).filter(kind="woocommerce").exists():
            services.connect(
                merchant=merchant,
                kind="woocommerce",
                label="WooCommerce",
                credentials={
                    "site_url": f"{url}/woo",
                    "consumer_key": c.woo_key,
                    "consumer_secret": c.woo_secret,
                    "webhook_secret": c.woo_webhook_secret,
                },
            )
            created += 1
        amazon = Store.objects.filter(merchant=merchant, platform=Platform.AMAZON).order_by("pk").first()
        if amazon is not None and not Connection.objects.filter(store=amazon).exists():
            services.connect(
                merchant=merchant,
                kind="amazon",
                label=amazon.name,
                store=amazon,
                credentials={
                    "seller_id": "A2DEMOSELLER",
                    "marketplace_ids": "ATVPDKIKX0DER",
                    "refresh_token": c.refresh_token,
                    "lwa_client_id": c.lwa_client_id,
                    "lwa_client_secret": c.lwa_client_secret,
                    "endpoint": f"{url}/amazon",
                    "token_url": f"{url}/lwa/auth/o2/token",
                },
            )
            created += 1
        if not Connection.objects.for_merchant(merchant).filter(kind="17track").exists():
            services.connect(
                merchant=merchant,
                kind="17track",
                label="17TRACK",
                credentials={"api_key": c.seventeen_key, "api_base_url": f"{url}/17track/track/v2.2"},
            )
            created += 1
        if not Connection.objects.for_merchant(merchant).filter(kind="aftership").exists():
            services.connect(
                merchant=merchant,
                kind="aftership",
                label="AfterShip",
                credentials={
                    "api_key": c.aftership_key,
                    "webhook_secret": c.aftership_webhook_secret,
                    "api_base_url": f"{url}/aftership/tracking/2025-01",
                },
            )
            created += 1
    ctx.write(f"connections: {created} created (local platform fakes at {url})")
