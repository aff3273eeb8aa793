import pytest

from orders.connectors import services
from orders.connectors.fakes import FakePlatforms


@pytest.fixture
def fake():
    from sp_api.auth import access_token_client

    access_token_client.cache.clear()  # LWA tokens are cached per refresh token; each fake issues its own
    platforms = FakePlatforms().start()
    yield platforms
    platforms.stop()


def connect_shopify(merchant, fake, label="Alice Shopify", secret=None):
    c = fake.credentials
    return services.connect(
        merchant=merchant,
        kind="shopify",
        label=label,
        credentials={
            "shop_domain": f"{fake.url}/shopify",
            "access_token": c.shopify_token,
            "app_secret": secret or c.shopify_secret,
        },
    )


def connect_woo(merchant, fake, label="Alice Woo"):
    c = fake.credentials
    return services.connect(
        merchant=merchant,
        kind="woocommerce",
        label=label,
        credentials={
            "site_url": f"{fake.url}/woo",
            "consumer_key": c.woo_key,
            "consumer_secret": c.woo_secret,
            "webhook_secret": c.woo_webhook_secret,
        },
    )


def connect_amazon(merchant, fake, label="Alice Amazon US", **overrides):
    c = fake.credentials
    credentials = {
        "seller_id": "A2SELLER",
        "marketplace_ids": "ATVPDKIKX0DER",
        "refresh_token": c.refresh_token,
        "lwa_client_id": c.lwa_client_id,
        "lwa_client_secret": c.lwa_client_secret,
        "endpoint": f"{fake.url}/amazon",
        "token_url": f"{fake.url}/lwa/auth/o2/token",
        **overrides,
    }
    return services.connect(merchant=merchant, kind="amazon", label=label, credentials=credentials)


def connect_aftership(merchant, fake):
    c = fake.credentials
    return services.connect(
        merchant=merchant,
        kind="aftership",
        label="AfterShip",
        credentials={
            "api_key": c.aftership_key,
            "webhook_secret": c.aftership_webhook_secret,
            "api_base_url": f"{fake.url}/aftership/tracking/2025-01",
        },
    )


def connect_17track(merchant, fake):
    c = fake.credentials
    return services.connect(
        merchant=merchant,
        kind="17track",
        label="17TRACK",
        credentials={"api_key": c.seventeen_key, "api_base_url": f"{fake.url}/17track/track/v2.2"},
    )


def hook_url(connection) -> str:
    from orders.connectors.selectors import webhook_url

    return webhook_url(connection).replace("http://testserver", "")


def post_hook(client, connection, body: bytes, headers: dict):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(hook_url(connection), data=body, content_type="application/json", **extra)
