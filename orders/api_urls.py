from django.urls import path

from . import api

app_name = "orders-api"

urlpatterns = [
    path("stores/", api.StoreViewSet.as_view({"get": "list"}), name="store-list"),
    path("stores/<int:pk>", api.StoreViewSet.as_view({"get": "retrieve"}), name="store-detail"),
    path("stores/<int:pk>/orders/bulk", api.OrderBulkUpsertView.as_view(), name="order-bulk"),
    path("orders/", api.OrderViewSet.as_view({"get": "list"}), name="order-list"),
    path("orders/events/bulk", api.OrderEventBulkView.as_view(), name="event-bulk"),
    path("orders/<int:pk>", api.OrderViewSet.as_view({"get": "retrieve"}), name="order-detail"),
    path("buyers/<int:pk>/push-subscriptions", api.BuyerPushSubscriptionsView.as_view(), name="push-subscriptions"),
    path(
        "buyers/<int:pk>/push-subscriptions/<int:sub_pk>",
        api.BuyerPushSubscriptionDetailView.as_view(),
        name="push-subscription-detail",
    ),
]
