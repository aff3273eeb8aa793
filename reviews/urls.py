from django.urls import path

from . import views, views_buyers, views_recovery

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
    # Buyers' side: signed links, no login (reviews.links).
    path("r/<str:token>/", views_buyers.review_link, name="review_link"),
    path("o/<str:token>/pixel.gif", views_buyers.open_pixel, name="open_pixel"),
    path("h/<str:token>/", views_buyers.help_page, name="help"),
    path("h/<str:token>/answer/", views_buyers.satisfaction, name="satisfaction"),
    path("h/<str:token>/review/", views_buyers.help_review, name="help_review"),
    # Merchants: service recovery, gating audit, reviews received.
    path("recovery/", views_recovery.ticket_list, name="tickets"),
    path("recovery/<int:pk>/", views_recovery.ticket_detail, name="ticket"),
    path("recovery/<int:pk>/photo/", views_recovery.ticket_photo, name="ticket_photo"),
    path("gating-audit/", views_recovery.gating_audit_page, name="gating_audit"),
    path("gating-audit/statement/", views_recovery.gating_statement, name="gating_statement"),
    path("reviews-in/", views_recovery.received_reviews, name="received"),
]
