from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("reports/", views.reports, name="reports"),
    path("reports/<str:table>.csv", views.export_csv, name="export"),
    path("campaigns/<int:pk>/", views.campaign_report, name="campaign_report"),
    path("campaigns/<int:pk>/<str:table>.csv", views.campaign_export_csv, name="campaign_export"),
    path("breakers/", views.breakers, name="breakers"),
    path("notices/", views.notices, name="notices"),
    path("notices/read/", views.notices_read_all, name="notices_read_all"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice_read"),
]
