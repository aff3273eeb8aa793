"""One registry of connectors, by kind (the single source for choices, forms and dispatch)."""

from __future__ import annotations

from .aftership import AfterShipConnector
from .amazon import AmazonConnector
from .base import Connector
from .seventeentrack import SeventeenTrackConnector
from .shopify import ShopifyConnector
from .woocommerce import WooCommerceConnector

CONNECTORS: dict[str, Connector] = {
    cls.kind: cls()
    for cls in (ShopifyConnector, WooCommerceConnector, AmazonConnector, AfterShipConnector, SeventeenTrackConnector)
}


def connector_for(kind: str) -> Connector:
    return CONNECTORS[kind]
