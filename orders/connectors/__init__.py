"""Platform connectors: one module per platform (shopify, woocommerce, amazon, aftership, seventeentrack)
behind one registry (`registry.CONNECTORS`). They read platforms and call `orders.services`; they never write
order tables themselves. Their own state (credentials, webhook events, cursors) is in `connectors.models`.
"""
