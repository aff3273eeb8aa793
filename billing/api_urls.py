from django.urls import path

from . import api

app_name = "billing-api"

urlpatterns = [
    path("billing/balance", api.BalanceView.as_view(), name="balance"),
    path("billing/usage", api.UsageView.as_view(), name="usage"),
]
