from django.urls import path

from . import api

app_name = "inserts-api"

urlpatterns = [path("insert-cards", api.InsertCardsView.as_view(), name="cards")]
