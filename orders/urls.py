from django.urls import path

from . import views
from .connectors import views as connector_views
from .connectors import webhooks

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/delivered/", views.order_mark_delivered, name="mark_delivered"),
    path("stores/", views.store_list, name="stores"),
    path("stores/<int:pk>/", views.store_edit, name="store_edit"),
    path("buyers/<int:pk>/", views.buyer_detail, name="buyer"),
    path("buyers/<int:pk>/export/", views.buyer_export, name="buyer_export"),
    path("buyers/<int:pk>/erase/", views.buyer_erase, name="buyer_erase"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
    path("connections/", connector_views.connection_list, name="connections"),
    path("connections/<int:pk>/", connector_views.connection_detail, name="connection"),
    path("connections/<int:pk>/test/", connector_views.connection_test, name="connection_test"),
    path("connections/<int:pk>/sync/", connector_views.connection_sync, name="connection_sync"),
    path("connections/<int:pk>/toggle/", connector_views.connection_toggle, name="connection_toggle"),
    path(
        "connections/<int:pk>/events/<int:event_pk>/export/",
        connector_views.connection_event_export,
        name="connection_event_export",
    ),
    # Platform webhooks: public, verified by signature; the token names the connection.
    path("webhooks/shopify/<str:token>/", webhooks.ShopifyWebhookView.as_view(), name="webhook_shopify"),
    path("webhooks/woocommerce/<str:token>/", webhooks.WooCommerceWebhookView.as_view(), name="webhook_woocommerce"),
    path("webhooks/aftership/<str:token>/", webhooks.AfterShipWebhookView.as_view(), name="webhook_aftership"),
    path("webhooks/17track/<str:token>/", webhooks.SeventeenTrackWebhookView.as_view(), name="webhook_17track"),
]
