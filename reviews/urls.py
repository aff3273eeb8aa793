from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/status/", views.campaign_status, name="status"),
    path("<int:pk>/dry-run/", views.campaign_dry_run, name="dry_run"),
    path("broadcasts/", views.broadcast_list, name="broadcasts"),
    path("broadcasts/new/", views.broadcast_create, name="broadcast_create"),
    path("log/", views.send_log, name="log"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    # Buyers' side: a signed link, no login.
    path("r/<str:token>/", views.review_link, name="review_link"),
]
