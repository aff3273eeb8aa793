from django.urls import path

from . import api

app_name = "accounts-api"

urlpatterns = [
    path("merchant", api.CurrentMerchantView.as_view(), name="merchant"),
]
