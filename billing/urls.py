from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("caps/", views.caps, name="caps"),
    path("ledger/", views.ledger, name="ledger"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("statements/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
    path("quote/", views.quote, name="quote"),
]
