from django.urls import path

from . import views

app_name = "inserts"

urlpatterns = [
    path("inserts/", views.cards, name="cards"),
    path("inserts/settings/", views.card_settings, name="settings"),
    path("inserts/sheets/<int:pk>/cards.pdf", views.batch_pdf, name="batch_pdf"),
    # Buyers' side: the QR code on a card (signed token), and the neutral card page.
    path("c/<str:token>", views.scan, name="scan"),
    path("c/<str:token>/help", views.landing, name="landing"),
]
