from django.urls import path

from . import api

app_name = "insights-api"

urlpatterns = [
    path("insights/report", api.ReportView.as_view(), name="report"),
    path("insights/campaigns/<int:pk>/results", api.CampaignResultsView.as_view(), name="campaign-results"),
]
